package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * The GRPO actor loss (algorithms.md sections 4.1 and 4.4):
 * {@code loss = agg(pg) + beta * agg(k3)}, with {@code pg} the PPO-clip surrogate of {@link PolicyLoss} and
 * {@code k3} the low-variance KL estimator of {@link KlEstimator} evaluated at the <em>current</em> log-probs, so the
 * KL term is a loss term with gradient (section 0.5 placement (b)), not a reward penalty.
 */
public final class GrpoLoss {

    private GrpoLoss() {
    }

    /**
     * @param clipLow     eps_low of the ratio clip (0.2 in GRPO/verl)
     * @param clipHigh    eps_high of the ratio clip (0.2; DAPO clip-higher 0.28)
     * @param klBeta      weight of the k3 loss term; 0 switches it off (then reference log-probs may be null)
     * @param aggregation how per-token terms become a scalar (section 0.4)
     * @param normConstant the constant of {@code seq-mean-token-sum-norm} (e.g. the maximum response length);
     *                     ignored by the other modes
     */
    public record Params(float clipLow, float clipHigh, float klBeta, LossAggregation aggregation,
                         float normConstant) {
        public Params {
            Objects.requireNonNull(aggregation, "aggregation");
            if (!(klBeta >= 0f)) {
                throw new IllegalArgumentException("klBeta must be >= 0, got " + klBeta);
            }
            if (aggregation == LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM && !(normConstant > 0f)) {
                throw new IllegalArgumentException(aggregation.wireName() + " needs normConstant > 0, got "
                        + normConstant);
            }
        }

        /** Without a norm constant: for every aggregation mode but {@code seq-mean-token-sum-norm}. */
        public Params(float clipLow, float clipHigh, float klBeta, LossAggregation aggregation) {
            this(clipLow, clipHigh, klBeta, aggregation, 0f);
        }
    }

    /**
     * @param loss         scalar NDArray to differentiate
     * @param policyLoss   value of {@code agg(pg)}
     * @param kl           masked token mean of k3 over this micro-batch (0 when no reference log-probs are given)
     * @param clipFraction masked token mean of the clipped indicator over this micro-batch
     */
    public record Result(NDArray loss, float policyLoss, float kl, float clipFraction) {
    }

    /**
     * @param logProbs            {@code [B,T]} current policy log-probs (carry gradient)
     * @param oldLogProbs         {@code [B,T]} behaviour-policy log-probs
     * @param refLogProbs         {@code [B,T]} reference log-probs; may be null when {@code klBeta == 0}
     * @param advantages          {@code [B]} or {@code [B,1]} sequence advantages (broadcast to every token)
     * @param mask                {@code [B,T]} float response mask
     * @param params              clip range, KL weight, aggregation
     * @param globalTokenCount    valid tokens in the whole optimizer step
     * @param globalSequenceCount sequences in the whole optimizer step
     */
    public static Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray refLogProbs, NDArray advantages,
                                 NDArray mask, Params params, float globalTokenCount, int globalSequenceCount) {
        if (params.klBeta() > 0f && refLogProbs == null) {
            throw new IllegalArgumentException("refLogProbs is required when klBeta > 0 (klBeta=" + params.klBeta()
                    + ")");
        }
        LossAggregation agg = params.aggregation();
        PolicyLoss.ClippedLoss clipped =
                PolicyLoss.clipped(logProbs, oldLogProbs, advantages, params.clipLow(), params.clipHigh());
        NDArray policy = agg.aggregate(clipped.perToken(), mask, globalTokenCount, globalSequenceCount,
                params.normConstant());
        NDArray loss = policy;
        float kl = 0f;
        if (refLogProbs != null) {
            NDArray k3 = KlEstimator.k3(logProbs, refLogProbs);
            kl = maskedMean(k3, mask);
            if (params.klBeta() > 0f) {
                // The beta scalar is an NDArray of this step's scope, not a Java Number (docs/stack.md).
                NDArray beta = Scalars.of(logProbs, params.klBeta());
                loss = policy.add(agg.aggregate(k3, mask, globalTokenCount, globalSequenceCount,
                        params.normConstant()).mul(beta));
            }
        }
        return new Result(loss, policy.getFloat(), kl, maskedMean(clipped.clipped(), mask));
    }

    /** {@code sum(m * x) / max(1, sum(m))} over this micro-batch, as a float for logging (no gradient). */
    static float maskedMean(NDArray values, NDArray mask) {
        float sum = values.stopGradient().mul(mask).sum().getFloat();
        float count = mask.sum().getFloat();
        return sum / Math.max(1f, count);
    }
}
