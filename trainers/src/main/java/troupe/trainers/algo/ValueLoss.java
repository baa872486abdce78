package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * PPO's clipped value loss (algorithms.md section 2.3):
 * {@code V_clip = V_old + clip(V - V_old, -eps, eps)}, per token {@code 0.5 * max((V - R)^2, (V_clip - R)^2)},
 * token-mean over the whole optimizer step. With {@code eps = 0} the loss is the plain {@code 0.5 * (V - R)^2}.
 * The returns {@code R} and old values stay fixed for every update on one rollout batch (pitfall 2.6.8).
 */
public final class ValueLoss {
  private ValueLoss() {}

  /**
   * @param loss         scalar to differentiate
   * @param clipFraction masked mean of "the clipped branch is strictly larger", over this micro-batch
   */
  public record Result(NDArray loss, float clipFraction) {}

  /**
   * @param values           {@code [B,T]} current critic values (carry gradient)
   * @param oldValues        {@code [B,T]} the critic's values at rollout time
   * @param returns          {@code [B,T]} value targets
   * @param mask             {@code [B,T]} float response mask
   * @param valueClip        eps in reward units (TRL 0.2, verl 0.5); 0 = unclipped
   * @param globalTokenCount valid tokens in the whole optimizer step
   */
  public static Result compute(NDArray values, NDArray oldValues, NDArray returns, NDArray mask, float valueClip,
      float globalTokenCount) {
    if (!(valueClip >= 0f) || Float.isInfinite(valueClip)) {
      throw new IllegalArgumentException("valueClip must be a finite number >= 0, got " + valueClip);
    }
    // Masked first: junk at padding never reaches a square.
    NDArray v = values.mul(mask);
    NDArray r = returns.mul(mask);
    NDArray plain = v.sub(r).square();
    NDArray perToken = plain;
    NDArray clipped = plain.zerosLike();
    if (valueClip > 0f) {
      NDArray old = oldValues.mul(mask);
      NDArray vClip = old.add(v.sub(old).clip(-valueClip, valueClip));
      NDArray clippedLoss = vClip.sub(r).square();
      perToken = plain.maximum(clippedLoss);
      clipped = clippedLoss.gt(plain).toType(DataType.FLOAT32, false).stopGradient();
    }
    NDArray loss = LossAggregation.TOKEN_MEAN.aggregate(perToken, mask, globalTokenCount, 1)
        .mul(Scalars.of(values, 0.5f));
    return new Result(loss, ActorLoss.maskedMean(clipped, mask));
  }
}
