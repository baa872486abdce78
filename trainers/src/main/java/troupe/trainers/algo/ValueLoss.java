package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

/**
 * The PPO critic's clipped value loss (algorithms.md section 2.3):
 * <pre>
 *   V_clip = V_old + clip(V - V_old, -eps, +eps)
 *   vf     = 0.5 * token-mean( max( (V - R)^2, (V_clip - R)^2 ) )
 * </pre>
 * With {@code eps = 0} the loss is unclipped, {@code 0.5 * token-mean((V - R)^2)} (clipping to a zero-width band
 * would freeze the critic, so 0 means "off", as verl's and OpenRLHF's {@code value_clip = None}).
 *
 * <p>The token-mean divides by the valid tokens of the whole optimizer step, so the losses (and gradients) of the
 * micro-batches of one step add up to those of the full batch (section 0.4; verl since 1dda039 does the same for the
 * critic).
 *
 * <p>Masked positions may hold anything, also NaN or values whose square overflows: all three inputs are replaced by
 * 0 there (a select, not a multiply, since {@code NaN * 0 = NaN}) before anything is squared, so they add neither to
 * the loss nor to the gradient nor to the clip count.
 */
public final class ValueLoss {

    private ValueLoss() {
    }

    /**
     * @param loss         scalar to differentiate: this micro-batch's share of the step's token-mean
     * @param perToken     {@code [B,T]} {@code 0.5 * max(...)}, 0 at masked positions
     * @param clipFraction fraction of this micro-batch's valid tokens where the clipped branch is strictly larger
     *                     (verl {@code vf_clipfrac}); 0 without clipping
     * @param tokens       valid tokens in this micro-batch, to weigh {@code clipFraction} across micro-batches
     */
    public record Result(NDArray loss, NDArray perToken, float clipFraction, float tokens) {
    }

    /**
     * @param values           {@code [B,T]} current critic values V (carry gradient; results live in their manager)
     * @param oldValues        {@code [B,T]} the critic's values at rollout time, V_old (no gradient)
     * @param returns          {@code [B,T]} value targets R (no gradient)
     * @param mask             {@code [B,T]} float response mask of 0 and 1
     * @param clipRange        eps, a finite number >= 0, in reward units (verl/OpenRLHF 0.5, TRL 0.2); 0 = unclipped
     * @param globalTokenCount valid tokens in the whole optimizer step (all micro-batches; clamped to >= 1)
     */
    public static Result compute(NDArray values, NDArray oldValues, NDArray returns, NDArray mask, float clipRange,
                                 float globalTokenCount) {
        if (!(clipRange >= 0f) || Float.isInfinite(clipRange)) {
            throw new IllegalArgumentException("clipRange must be a finite number >= 0 (0 = unclipped), got "
                    + clipRange);
        }
        checkShape("oldValues", oldValues, values);
        checkShape("returns", returns, values);
        checkShape("mask", mask, values);
        NDArray zero = Scalars.of(values, 0f);
        NDArray valid = mask.gt(zero);
        NDArray v = NDArrays.where(valid, values, zero);
        NDArray r = NDArrays.where(valid, returns.stopGradient(), zero);
        NDArray unclipped = v.sub(r).square();
        NDArray worst = unclipped;
        NDArray clipped = null;
        if (clipRange > 0f) {
            NDArray old = NDArrays.where(valid, oldValues.stopGradient(), zero);
            // clip(Number, Number) is torch.clamp with scalar bounds: no temporary NDArray enters the graph.
            NDArray clippedValues = old.add(v.sub(old).clip(-clipRange, clipRange));
            NDArray clippedLoss = clippedValues.sub(r).square();
            worst = unclipped.maximum(clippedLoss);
            clipped = clippedLoss.gt(unclipped).toType(DataType.FLOAT32, false).stopGradient();
        }
        NDArray perToken = worst.mul(Scalars.of(values, 0.5f));
        NDArray loss = LossAggregation.TOKEN_MEAN.aggregate(perToken, mask, globalTokenCount, 1);
        float tokens = mask.sum().getFloat();
        float fraction = clipped == null ? 0f : clipped.mul(mask).sum().getFloat() / Math.max(1f, tokens);
        return new Result(loss, perToken, fraction, tokens);
    }

    private static void checkShape(String name, NDArray array, NDArray values) {
        if (!array.getShape().equals(values.getShape())) {
            throw new IllegalArgumentException(name + " has shape " + array.getShape() + ", values have "
                    + values.getShape());
        }
    }
}
