package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The PPO-clip surrogate shared by PPO, GRPO and DAPO (algorithms.md section 0.7), per token, to minimise:
 * {@code pg = max(-A * ratio, -A * clip(ratio, 1 - clipLow, 1 + clipHigh))}, {@code ratio = exp(lp - lp_old)}.
 */
public final class PolicyLoss {

    /** verl and OpenRLHF clamp {@code lp - lp_old} to this range before {@code exp} so the ratio cannot overflow. */
    static final float LOG_RATIO_LIMIT = 20f;

    private PolicyLoss() {
    }

    /**
     * The clipped surrogate, token by token (no mask applied, no aggregation).
     *
     * @param perToken {@code [B,T]} surrogate loss, differentiable through the current log-probs
     * @param clipped  {@code [B,T]} float, 1 where the clipped branch is strictly larger (it is the one taken and
     *                 its gradient is 0), 0 elsewhere; no gradient. Its masked mean is verl's {@code pg_clipfrac}.
     * @param ratio    {@code [B,T]} importance ratio {@code exp(clamp(lp - lp_old, -20, 20))}
     */
    public record ClippedLoss(NDArray perToken, NDArray clipped, NDArray ratio) {
    }

    /**
     * @param logProbs    {@code [B,T]} current policy log-probs (carry gradient; results live in their manager)
     * @param oldLogProbs {@code [B,T]} behaviour-policy log-probs (no gradient)
     * @param advantages  {@code [B,T]}, or {@code [B,1]} / {@code [B]} broadcast over tokens
     * @param clipLow     eps_low: the ratio is clipped below at {@code 1 - clipLow}
     * @param clipHigh    eps_high: the ratio is clipped above at {@code 1 + clipHigh} (DAPO clip-higher when larger)
     */
    public static ClippedLoss clipped(NDArray logProbs, NDArray oldLogProbs, NDArray advantages,
                                      float clipLow, float clipHigh) {
        if (!(clipLow >= 0f && clipLow < 1f) || !(clipHigh >= 0f)) {
            throw new IllegalArgumentException("need 0 <= clipLow < 1 and clipHigh >= 0, got clipLow=" + clipLow
                    + " clipHigh=" + clipHigh);
        }
        NDArray a = asColumn(advantages);
        // clip(Number, Number) maps to torch.clamp with scalar arguments: no temporary NDArray is created.
        NDArray ratio = logProbs.sub(oldLogProbs).clip(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT).exp();
        NDArray clippedRatio = ratio.clip(1f - clipLow, 1f + clipHigh);
        NDArray unclippedLoss = ratio.mul(a).neg();        // -A * ratio
        NDArray clippedLoss = clippedRatio.mul(a).neg();   // -A * clip(ratio, 1 - eps_low, 1 + eps_high)
        NDArray perToken = unclippedLoss.maximum(clippedLoss);
        NDArray clipped = clippedLoss.gt(unclippedLoss).toType(DataType.FLOAT32, false).stopGradient();
        return new ClippedLoss(perToken, clipped, ratio);
    }

    /** A 1-D {@code [B]} advantage becomes {@code [B,1]}, so it broadcasts over tokens and not over rows. */
    static NDArray asColumn(NDArray advantages) {
        if (advantages.getShape().dimension() == 1) {
            return advantages.reshape(advantages.getShape().get(0), 1);
        }
        return advantages;
    }
}
