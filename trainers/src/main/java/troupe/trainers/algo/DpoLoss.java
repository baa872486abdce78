package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * DPO and its variants on the four per-pair scalars (algorithms.md 3.1, 3.2): summed completion log-probs of chosen
 * and rejected under the policy (with gradient) and the reference. With {@code h = (logp_w - ref_w) - (logp_l -
 * ref_l)}, per pair:
 * <ul>
 *   <li>{@code sigmoid}: {@code softplus(-beta h)} (= -logsig(beta h), the stable form, pitfall 3.5);
 *   <li>{@code cdpo}: {@code (1 - eps) softplus(-beta h) + eps softplus(beta h)} (label smoothing eps);
 *   <li>{@code robust}: {@code ((1 - eps) softplus(-beta h) - eps softplus(beta h)) / (1 - 2 eps)};
 *   <li>{@code ipo}: {@code (h - 1 / (2 beta))^2} on the summed log-ratios (OpenRLHF; TRL >= 0.8 length-averages);
 *   <li>{@code hinge}: {@code relu(1 - beta h)}.
 * </ul>
 * Reference-free DPO passes zeros as the reference. The loss is the mean over pairs.
 */
public final class DpoLoss {
  public static final List<String> TYPES = List.of("sigmoid", "ipo", "cdpo", "robust", "hinge");

  private DpoLoss() {}

  /** The loss to differentiate and the metrics TRL logs (section 3.3), means over the pairs. */
  public record Result(NDArray loss, float rewardsChosen, float rewardsRejected, float accuracy) {}

  /**
   * @param policyChosen   [B] summed log-probs of the chosen completions (with gradient)
   * @param policyRejected [B] of the rejected ones
   * @param refChosen      [B] the reference's, no gradient (zeros for reference-free)
   * @param refRejected    [B]
   * @param type           one of {@link #TYPES}
   * @param beta           > 0
   * @param eps            label smoothing of cdpo and robust, in [0, 0.5)
   */
  public static Result compute(NDArray policyChosen, NDArray policyRejected, NDArray refChosen, NDArray refRejected,
      String type, float beta, float eps) {
    if (!(beta > 0) || Float.isInfinite(beta)) {
      throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
    }
    if (!(eps >= 0 && eps < 0.5f)) {
      throw new IllegalArgumentException("label smoothing must be in [0, 0.5), got " + eps);
    }
    NDArray chosenRatio = policyChosen.sub(refChosen);
    NDArray rejectedRatio = policyRejected.sub(refRejected);
    NDArray h = chosenRatio.sub(rejectedRatio);
    NDArray scaled = h.mul(Scalars.of(h, beta));
    NDArray perPair = switch (type) {
      case "sigmoid" -> softplus(scaled.neg());
      case "cdpo" -> softplus(scaled.neg()).mul(Scalars.of(h, 1 - eps))
          .add(softplus(scaled).mul(Scalars.of(h, eps)));
      case "robust" -> softplus(scaled.neg()).mul(Scalars.of(h, 1 - eps))
          .sub(softplus(scaled).mul(Scalars.of(h, eps))).div(Scalars.of(h, 1 - 2 * eps));
      case "ipo" -> {
        NDArray d = h.sub(Scalars.of(h, 1 / (2 * beta)));
        yield d.mul(d);
      }
      case "hinge" -> Scalars.of(h, 1f).sub(scaled).maximum(Scalars.of(h, 0f));
      default -> throw new IllegalArgumentException("unknown DPO loss type \"" + type + "\"; allowed: "
          + String.join(", ", TYPES));
    };
    NDArray rewardChosen = chosenRatio.stopGradient().mul(Scalars.of(h, beta));
    NDArray rewardRejected = rejectedRatio.stopGradient().mul(Scalars.of(h, beta));
    float accuracy = rewardChosen.gt(rewardRejected).toType(DataType.FLOAT32, false).mean().getFloat();
    return new Result(perPair.mean(), rewardChosen.mean().getFloat(), rewardRejected.mean().getFloat(), accuracy);
  }

  /** log(1 + exp(x)) without overflow: max(x, 0) + log(1 + exp(-|x|)). */
  static NDArray softplus(NDArray x) {
    return x.maximum(Scalars.of(x, 0f)).add(x.abs().neg().exp().add(Scalars.of(x, 1f)).log());
  }
}
