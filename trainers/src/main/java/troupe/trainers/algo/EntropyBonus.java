package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import troupe.trainers.model.LogProbs;

/**
 * The entropy bonus of the PPO objective (algorithms.md section 2.3: {@code loss = pg - c_ent * agg(H)}), with the
 * per-token entropy {@code H = -sum_v p_v log p_v} of the temperature-scaled logits (section 0.2). Off by default in
 * every reference (verl {@code entropy_coeff = 0}, OpenRLHF none, DAPO none); the masked mean is logged anyway.
 */
public final class EntropyBonus {

    private EntropyBonus() {
    }

    /**
     * Per-token entropy {@code [B,T]} of {@code softmax(logits / temperature)}, float32, differentiable; the same
     * function the policy trainer logs ({@link LogProbs#entropy}).
     *
     * @param logits      {@code [B,T,V]} logits aligned with the response tokens (section 0.2)
     * @param temperature the sampling temperature, > 0
     */
    public static NDArray perToken(NDArray logits, float temperature) {
        return LogProbs.entropy(logits, temperature);
    }

    /**
     * The term to add to the loss: {@code -coefficient * agg(H)}, aggregated like the policy loss so both share one
     * normaliser (section 0.4).
     *
     * @param entropy     {@code [B,T]} per-token entropy
     * @param mask        {@code [B,T]} float response mask
     * @param coefficient c_ent, a finite number >= 0 (0 gives a zero term that still has the right shape)
     */
    public static NDArray loss(NDArray entropy, NDArray mask, float coefficient, LossAggregation aggregation,
                               float globalTokenCount, int globalSequenceCount, float normConstant) {
        if (!(coefficient >= 0f) || Float.isInfinite(coefficient)) {
            throw new IllegalArgumentException("coefficient must be a finite number >= 0, got " + coefficient);
        }
        if (aggregation == null) {
            throw new IllegalArgumentException("aggregation must not be null");
        }
        NDArray mean = aggregation.aggregate(entropy, mask, globalTokenCount, globalSequenceCount, normConstant);
        return mean.mul(Scalars.of(entropy, -coefficient));
    }

    /** {@code sum(m * H) / max(1, sum(m))} over this micro-batch, for logging (no gradient). */
    public static float maskedMean(NDArray entropy, NDArray mask) {
        return ActorLoss.maskedMean(entropy, mask);
    }
}
