package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * The actor loss of every online RL preset (algorithms.md sections 0.4, 0.5, 0.7, 2.3, 4.1):
 * {@code loss = agg(policy loss) + beta * agg(kl(lp, lp_ref)) - c_ent * agg(entropy)}. The policy loss is a named
 * part ({@link PolicyLosses}: ppo_clip with clip-higher, dual_clip, gspo); the KL term is a loss term evaluated at the
 * <em>current</em> log-probs, with gradient (section 0.5 placement (b)); a KL placed in the reward instead is already
 * inside the advantages and {@code klBeta} is 0 here.
 */
public final class ActorLoss {

    private ActorLoss() {
    }

    /**
     * @param policyLoss   the named policy loss
     * @param clip         clip band, dual-clip constant, log-ratio clamp
     * @param klBeta       weight of the KL loss term; 0 switches it off (then reference log-probs may be null)
     * @param klEstimator  the KL estimator of the loss term (k2 or k3; k1 has zero expected gradient as a loss)
     * @param entropyCoef  entropy bonus coefficient, >= 0
     * @param aggregation  how per-token terms become a scalar (section 0.4)
     * @param normConstant the constant of {@code seq-mean-token-sum-norm} (e.g. the maximum response length);
     *                     ignored by the other modes
     */
    public record Params(PolicyLosses.Loss policyLoss, PolicyLoss.ClipParams clip, float klBeta,
                         KlEstimators.Estimator klEstimator, float entropyCoef, LossAggregation aggregation,
                         float normConstant) {
        public Params {
            Objects.requireNonNull(policyLoss, "policyLoss");
            Objects.requireNonNull(clip, "clip");
            Objects.requireNonNull(klEstimator, "klEstimator");
            Objects.requireNonNull(aggregation, "aggregation");
            if (!(klBeta >= 0f) || Float.isInfinite(klBeta)) {
                throw new IllegalArgumentException("klBeta must be a finite number >= 0, got " + klBeta);
            }
            if (!(entropyCoef >= 0f) || Float.isInfinite(entropyCoef)) {
                throw new IllegalArgumentException("entropyCoef must be a finite number >= 0, got " + entropyCoef);
            }
            if (aggregation == LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM && !(normConstant > 0f)) {
                throw new IllegalArgumentException(aggregation.wireName() + " needs normConstant > 0, got "
                        + normConstant);
            }
        }

        /** GRPO as in the paper: ppo_clip with the given band (clamp 20), k3 in the loss, no entropy bonus. */
        public Params(float clipLow, float clipHigh, float klBeta, LossAggregation aggregation) {
            this(PolicyLosses.byName("ppo_clip"), PolicyLoss.ClipParams.of(clipLow, clipHigh), klBeta,
                    KlEstimators.byName("k3"), 0f, aggregation, 0f);
        }
    }

    /**
     * Values of one micro-batch for logging; fractions and means are over its valid tokens (sequences for gspo).
     *
     * @param loss         scalar NDArray to differentiate
     * @param policyLoss   value of {@code agg(policy loss)}
     * @param kl           masked token mean of the KL estimate to the reference (0 without reference log-probs)
     * @param clipLow      fraction clipped at the lower bound (A < 0)
     * @param clipHigh     fraction clipped at the upper bound (A > 0)
     * @param approxKl     masked mean of {@code 0.5 * (lp - lp_old)^2}: how far the updates moved the policy
     */
    public record Result(NDArray loss, float policyLoss, float kl, float clipLow, float clipHigh, float approxKl) {
        /** Both sides: verl's {@code pg_clipfrac}. */
        public float clipFraction() {
            return clipLow + clipHigh;
        }
    }

    /**
     * @param logProbs            {@code [B,T]} current policy log-probs (carry gradient)
     * @param oldLogProbs         {@code [B,T]} behaviour-policy log-probs
     * @param refLogProbs         {@code [B,T]} reference log-probs; may be null when {@code klBeta == 0}
     * @param advantages          {@code [B]} or {@code [B,1]} sequence advantages, or {@code [B,T]} per token
     * @param entropy             {@code [B,T]} per-token entropy with gradient; may be null when entropyCoef is 0
     * @param mask                {@code [B,T]} float response mask
     * @param params              parts and weights
     * @param globalTokenCount    valid tokens in the whole optimizer step
     * @param globalSequenceCount sequences in the whole optimizer step
     */
    public static Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray refLogProbs, NDArray advantages,
                                 NDArray entropy, NDArray mask, Params params, float globalTokenCount,
                                 int globalSequenceCount) {
        if (params.klBeta() > 0f && refLogProbs == null) {
            throw new IllegalArgumentException("refLogProbs is required when klBeta > 0 (klBeta=" + params.klBeta()
                    + ")");
        }
        if (params.entropyCoef() > 0f && entropy == null) {
            throw new IllegalArgumentException("entropy is required when entropyCoef > 0");
        }
        LossAggregation agg = params.aggregation();
        PolicyLoss.Result pg = params.policyLoss().compute(logProbs, oldLogProbs, advantages, mask, params.clip());
        NDArray policy = pg.aggregate(agg, mask, globalTokenCount, globalSequenceCount, params.normConstant());
        NDArray loss = policy;
        float kl = 0f;
        if (refLogProbs != null) {
            // Masked first, so junk at padding cannot overflow an estimator and turn into NaN times 0.
            NDArray perToken = params.klEstimator().estimate(logProbs.mul(mask), refLogProbs.mul(mask));
            kl = maskedMean(perToken, mask);
            if (params.klBeta() > 0f) {
                // The beta scalar is an NDArray of this step's scope, not a Java Number (docs/stack.md).
                NDArray beta = Scalars.of(logProbs, params.klBeta());
                loss = loss.add(agg.aggregate(perToken, mask, globalTokenCount, globalSequenceCount,
                        params.normConstant()).mul(beta));
            }
        }
        if (params.entropyCoef() > 0f) {
            loss = loss.add(EntropyBonus.loss(entropy, mask, params.entropyCoef(), agg, globalTokenCount,
                    globalSequenceCount, params.normConstant()));
        }
        PolicyLoss.ClipFractions clipped = pg.fractions(mask);
        NDArray moved = logProbs.stopGradient().sub(oldLogProbs).mul(mask);
        float approxKl = maskedMean(moved.mul(moved).mul(Scalars.of(logProbs, 0.5f)), mask);
        return new Result(loss, policy.getFloat(), kl, clipped.low(), clipped.high(), approxKl);
    }

    /** {@code sum(m * x) / max(1, sum(m))} over this micro-batch, as a float for logging (no gradient). */
    static float maskedMean(NDArray values, NDArray mask) {
        float sum = values.stopGradient().mul(mask).sum().getFloat();
        float count = mask.sum().getFloat();
        return sum / Math.max(1f, count);
    }
}
