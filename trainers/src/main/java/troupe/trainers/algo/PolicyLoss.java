package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

/**
 * The PPO-clip surrogate shared by PPO, GRPO and DAPO (algorithms.md section 0.7), per token, to minimise:
 * {@code pg = max(-A * ratio, -A * clip(ratio, 1 - clipLow, 1 + clipHigh))}, {@code ratio = exp(lp - lp_old)}.
 *
 * <p>{@link #compute} is the full form: clip-higher ({@code clipHigh > clipLow}, DAPO section 5.2), optional
 * dual-clip (Ye et al. 2019: for {@code A < 0} also cap {@code pg <= -A * c}, verl {@code clip_ratio_c}), an
 * optional clamp of {@code lp - lp_old} before {@code exp}, and the low and high clip fractions counted separately.
 */
public final class PolicyLoss {

    /** verl and OpenRLHF clamp {@code lp - lp_old} to this range before {@code exp} so the ratio cannot overflow. */
    static final float LOG_RATIO_LIMIT = 20f;

    private PolicyLoss() {
    }

    /**
     * Clip settings of a policy loss.
     *
     * @param clipLow       eps_low, in [0, 1): the ratio is clipped below at {@code 1 - clipLow} (0.2)
     * @param clipHigh      eps_high, >= clipLow: clipped above at {@code 1 + clipHigh} (0.2; DAPO 0.28; GSPO uses
     *                      3e-4 / 4e-4 because its ratio is a per-token geometric mean, section 7.6)
     * @param dualClipC     dual-clip constant c > 1 (verl 3.0, DAPO recipe 10.0), or null for no dual-clip
     * @param logRatioLimit {@code lp - lp_old} is clamped to {@code [-limit, limit]} before {@code exp} (verl and
     *                      OpenRLHF: 20), or null for no clamp (TRL)
     */
    public record ClipParams(float clipLow, float clipHigh, Float dualClipC, Float logRatioLimit) {
        public ClipParams {
            if (!(clipLow >= 0f && clipLow < 1f)) {
                throw new IllegalArgumentException("clipLow must be in [0, 1), got " + clipLow);
            }
            if (!(clipHigh >= clipLow) || Float.isInfinite(clipHigh)) {
                throw new IllegalArgumentException("clipHigh must be finite and >= clipLow (clip-higher only widens "
                        + "the upper side), got clipHigh=" + clipHigh + " clipLow=" + clipLow);
            }
            if (dualClipC != null && !(dualClipC > 1f && Float.isFinite(dualClipC))) {
                throw new IllegalArgumentException("dualClipC must be a finite number > 1 (it caps the loss of "
                        + "A < 0 tokens at -A * c), got " + dualClipC);
            }
            if (logRatioLimit != null && !(logRatioLimit > 0f)) {
                throw new IllegalArgumentException("logRatioLimit must be > 0 (or null for no clamp), got "
                        + logRatioLimit);
            }
        }

        /** Clip band {@code [1 - clipLow, 1 + clipHigh]}, no dual-clip, log-ratio clamped to [-20, 20] (verl). */
        public static ClipParams of(float clipLow, float clipHigh) {
            return new ClipParams(clipLow, clipHigh, null, LOG_RATIO_LIMIT);
        }

        /** The same with dual-clip constant {@code c}. */
        public ClipParams withDualClip(float c) {
            return new ClipParams(clipLow, clipHigh, c, logRatioLimit);
        }

        /** The same with another log-ratio clamp (null: none). */
        public ClipParams withLogRatioLimit(Float limit) {
            return new ClipParams(clipLow, clipHigh, dualClipC, limit);
        }
    }

    /**
     * A policy loss before aggregation.
     *
     * @param loss          {@code [B,T]} per-token loss, or {@code [B]} per-sequence loss when {@code sequenceLevel}
     *                      (GSPO); 0 at masked positions and for rows without valid tokens
     * @param sequenceLevel true when {@code loss} and the indicators are per sequence
     * @param lowClipped    1 where the lower clip is the branch taken (A < 0, ratio < 1 - clipLow), else 0
     * @param highClipped   1 where the upper clip is the branch taken (A > 0, ratio > 1 + clipHigh), else 0
     * @param dualClipped   1 where the dual-clip cap is the branch taken (A < 0, -A * ratio > -A * c), else 0
     * @param ratio         the importance ratio (per token, or per sequence for GSPO); 1 at masked positions
     */
    public record Result(NDArray loss, boolean sequenceLevel, NDArray lowClipped, NDArray highClipped,
                         NDArray dualClipped, NDArray ratio) {

        /**
         * Aggregates {@code loss} with the sizes of the whole optimizer step (see {@link LossAggregation}).
         * A sequence-level loss is already one number per sequence: it is averaged over sequences, which is
         * {@code seq-mean-token-mean} (GSPO's own normalisation; verl forces that mode for GSPO), and any other mode
         * is rejected.
         */
        public NDArray aggregate(LossAggregation mode, NDArray mask, float globalTokenCount, int globalSequenceCount,
                                 float normConstant) {
            if (!sequenceLevel) {
                return mode.aggregate(loss, mask, globalTokenCount, globalSequenceCount, normConstant);
            }
            if (mode != LossAggregation.SEQ_MEAN_TOKEN_MEAN) {
                throw new IllegalArgumentException("a sequence-level policy loss (gspo) is averaged over sequences; "
                        + "loss aggregation must be " + LossAggregation.SEQ_MEAN_TOKEN_MEAN.wireName() + ", got "
                        + mode.wireName());
            }
            return loss.sum().div(Scalars.count(loss, globalSequenceCount));
        }

        /**
         * Clip fractions of this micro-batch: masked token means (per-sequence losses: means over the rows with at
         * least one valid token). No gradient.
         */
        public ClipFractions fractions(NDArray mask) {
            NDArray weights = sequenceLevel ? mask.sum(new int[] {1}).gt(Scalars.of(mask, 0f))
                    .toType(DataType.FLOAT32, false) : mask;
            float count = Math.max(1f, weights.sum().getFloat());
            return new ClipFractions(
                    lowClipped.mul(weights).sum().getFloat() / count,
                    highClipped.mul(weights).sum().getFloat() / count,
                    dualClipped.mul(weights).sum().getFloat() / count);
        }
    }

    /**
     * Fractions of valid tokens (or sequences) whose loss took the lower clip, the upper clip or the dual-clip cap
     * (TRL {@code clip_ratio/low_mean}, {@code clip_ratio/high_mean}; verl {@code pg_clipfrac_lower}). Lower and
     * upper never overlap, so {@code low + high} is verl's {@code pg_clipfrac}.
     */
    public record ClipFractions(float low, float high, float dual) {
    }

    /**
     * The PPO-clip surrogate per token, with clip-higher, optional dual-clip and optional log-ratio clamp.
     *
     * <p>Masked positions are neutralised <em>before</em> {@code exp}: the log-ratio and the advantage are multiplied
     * by the mask, so (finite) junk there gives ratio 1, loss 0, no clip count and zero gradient, even without the
     * log-ratio clamp.
     *
     * @param logProbs    {@code [B,T]} current policy log-probs (carry gradient; results live in their manager)
     * @param oldLogProbs {@code [B,T]} behaviour-policy log-probs (no gradient)
     * @param advantages  {@code [B,T]}, or {@code [B,1]} / {@code [B]} broadcast over tokens
     * @param mask        {@code [B,T]} float response mask
     * @param params      clip band, dual-clip, log-ratio clamp
     */
    public static Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray advantages, NDArray mask,
                                 ClipParams params) {
        if (params == null) {
            throw new IllegalArgumentException("params must not be null");
        }
        NDArray a = asColumn(advantages).stopGradient().mul(mask);
        NDArray logRatio = logProbs.sub(oldLogProbs).mul(mask);
        if (params.logRatioLimit() != null) {
            logRatio = logRatio.clip(-params.logRatioLimit(), params.logRatioLimit());
        }
        NDArray ratio = logRatio.exp();
        NDArray clippedRatio = ratio.clip(1f - params.clipLow(), 1f + params.clipHigh());
        NDArray unclippedLoss = ratio.mul(a).neg();        // -A * ratio
        NDArray clippedLoss = clippedRatio.mul(a).neg();   // -A * clip(ratio, 1 - eps_low, 1 + eps_high)
        NDArray perToken = unclippedLoss.maximum(clippedLoss);
        NDArray zero = Scalars.of(logProbs, 0f);
        NDArray clipTaken = clippedLoss.gt(unclippedLoss);
        NDArray lowClipped = indicator(clipTaken.logicalAnd(zero.gt(a)));
        NDArray highClipped = indicator(clipTaken.logicalAnd(zero.lt(a)));
        NDArray dualClipped = lowClipped.zerosLike();
        if (params.dualClipC() != null) {
            // cap = -A * c where A < 0, +inf elsewhere; a constant, so min(pg, cap) has zero gradient where capped.
            NDArray cap = NDArrays.where(zero.gt(a), Scalars.of(logProbs, params.dualClipC()).mul(a).neg(),
                    Scalars.of(logProbs, Float.POSITIVE_INFINITY));
            dualClipped = indicator(perToken.gt(cap));
            perToken = perToken.minimum(cap);
        }
        return new Result(perToken, false, lowClipped, highClipped, dualClipped, ratio);
    }

    private static NDArray indicator(NDArray condition) {
        return condition.toType(DataType.FLOAT32, false).stopGradient();
    }

    /** A 1-D {@code [B]} advantage becomes {@code [B,1]}, so it broadcasts over tokens and not over rows. */
    static NDArray asColumn(NDArray advantages) {
        if (advantages.getShape().dimension() == 1) {
            return advantages.reshape(advantages.getShape().get(0), 1);
        }
        return advantages;
    }
}
