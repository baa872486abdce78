package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

/**
 * KTO (algorithms.md 7.3) on unpaired examples: with the implied reward {@code r = log pi(y|x) - log pi_ref(y|x)}
 * (sequence sums) and the reference point {@code z0 = max(0, mean r of mismatched (x, y') rows)} (no gradient):
 * desirable {@code lambda_D (1 - sigmoid(beta (r - z0)))}, undesirable {@code lambda_U (1 - sigmoid(beta (z0 - r)))},
 * averaged over all examples. Pairs are split as TRL's unpairing does: chosen desirable, rejected undesirable.
 */
public final class KtoLoss {
  private KtoLoss() {}

  /**
   * @param desirable      [D] implied rewards r of the desirable examples (with gradient)
   * @param undesirable    [U] of the undesirable ones
   * @param mismatched     [M] implied rewards of mismatched prompt/completion rows (detached here)
   * @param beta           > 0
   * @param desirableWeight   lambda_D >= 0
   * @param undesirableWeight lambda_U >= 0
   * @return the loss; rewards chosen/rejected are beta * mean r; accuracy is the share of desirable rewards above z0
   *     together with undesirable ones below it
   */
  public static DpoLoss.Result compute(NDArray desirable, NDArray undesirable, NDArray mismatched, float beta,
      float desirableWeight, float undesirableWeight) {
    if (!(beta > 0) || !(desirableWeight >= 0) || !(undesirableWeight >= 0)) {
      throw new IllegalArgumentException("need beta > 0 and weights >= 0, got beta=" + beta + " lambda_D="
          + desirableWeight + " lambda_U=" + undesirableWeight);
    }
    float z0 = Math.max(0f, mismatched.stopGradient().mean().getFloat());
    NDArray z = Scalars.of(desirable, z0);
    NDArray b = Scalars.of(desirable, beta);
    // 1 - sigmoid(x) = sigmoid(-x)
    NDArray lossD = Activation.sigmoid(desirable.sub(z).mul(b).neg()).mul(Scalars.of(desirable, desirableWeight));
    NDArray lossU = Activation.sigmoid(z.sub(undesirable).mul(b).neg()).mul(Scalars.of(desirable, undesirableWeight));
    NDArray loss = lossD.sum().add(lossU.sum()).div(Scalars.of(desirable, desirable.size() + undesirable.size()));
    float right = desirable.stopGradient().gt(z).toType(DataType.FLOAT32, false).sum().getFloat()
        + undesirable.stopGradient().lt(z).toType(DataType.FLOAT32, false).sum().getFloat();
    return new DpoLoss.Result(loss, beta * mean(desirable), beta * mean(undesirable),
        right / (desirable.size() + undesirable.size()));
  }

  /** 0 for a class missing from the batch (unpaired data need not have both). */
  private static float mean(NDArray rewards) {
    return rewards.size() == 0 ? 0f : rewards.stopGradient().mean().getFloat();
  }
}
