package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * How a per-token loss matrix {@code L[B,T]} with mask {@code m[B,T]} becomes one scalar (verl {@code loss_agg_mode};
 * algorithms.md section 0.4).
 *
 * <p>Every mode takes the sizes of the <em>whole optimizer step</em> (all micro-batches, all workers), so the losses
 * of the micro-batches of one step add up to the loss of the full batch and gradient accumulation needs no
 * rescaling. If gradients are averaged across W data-parallel workers, pass the global counts divided by W (or
 * multiply the loss by W), as verl's {@code dp_size} argument does.
 */
public enum LossAggregation {

    /** {@code sum_{i,t} m*L / globalTokenCount}: every valid token of the step weighs the same (verl default). */
    TOKEN_MEAN("token-mean"),

    /**
     * {@code sum_i [ sum_t m*L / max(1, sum_t m) ] / globalSequenceCount}: mean over tokens inside each sequence,
     * then mean over sequences (GRPO paper, TRL {@code loss_type="grpo"}).
     */
    SEQ_MEAN_TOKEN_MEAN("seq-mean-token-mean"),

    /** {@code sum_{i,t} m*L / globalSequenceCount}: token sum per sequence, mean over sequences (verl option). */
    SEQ_MEAN_TOKEN_SUM("seq-mean-token-sum"),

    /**
     * {@code sum_{i,t} m*L / (globalSequenceCount * normConstant)}: the token sum divided by a constant instead of
     * each sequence's length, so long and short answers weigh per token the same (Dr. GRPO, section 4.7; TRL
     * {@code dr_grpo} with {@code normConstant = max_completion_length}; verl-project {@code seq-mean-token-sum-norm}
     * with {@code loss_scale_factor}, default the padded response length).
     */
    SEQ_MEAN_TOKEN_SUM_NORM("seq-mean-token-sum-norm");

    private final String wireName;

    LossAggregation(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in configs, e.g. {@code "token-mean"}. */
    public String wireName() {
        return wireName;
    }

    /** All config names, in declaration order. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        for (LossAggregation mode : values()) {
            names.add(mode.wireName);
        }
        return names;
    }

    /** The mode with the given config name; an unknown name fails with the list of allowed names. */
    public static LossAggregation fromName(String name) {
        List<String> allowed = new ArrayList<>();
        for (LossAggregation mode : values()) {
            if (mode.wireName.equals(name)) {
                return mode;
            }
            allowed.add(mode.wireName);
        }
        throw new IllegalArgumentException("unknown loss aggregation \"" + name + "\"; allowed: "
                + String.join(", ", allowed));
    }

    /**
     * Aggregates a per-token loss into a scalar, for every mode but {@link #SEQ_MEAN_TOKEN_SUM_NORM} (which needs a
     * constant: use the five-argument form).
     */
    public NDArray aggregate(NDArray perToken, NDArray mask, float globalTokenCount, int globalSequenceCount) {
        return aggregate(perToken, mask, globalTokenCount, globalSequenceCount, 0f);
    }

    /**
     * Aggregates a per-token loss into a scalar.
     *
     * @param perToken            per-token loss {@code [B,T]}; the result is attached to its manager
     * @param mask                float mask {@code [B,T]}, 1 on trained tokens and 0 elsewhere
     * @param globalTokenCount    valid tokens in the whole optimizer step (token-mean; clamped to >= 1)
     * @param globalSequenceCount sequences in the whole optimizer step (seq-mean-*; clamped to >= 1).
     *                            verl counts only sequences with at least one valid token; the caller decides.
     * @param normConstant        the constant of seq-mean-token-sum-norm (e.g. the maximum response length), > 0;
     *                            ignored by the other modes
     * @return a scalar NDArray (shape {@code ()}), differentiable through {@code perToken}
     */
    public NDArray aggregate(NDArray perToken, NDArray mask, float globalTokenCount, int globalSequenceCount,
                             float normConstant) {
        return switch (this) {
            case TOKEN_MEAN -> tokenMean(perToken, mask, globalTokenCount);
            case SEQ_MEAN_TOKEN_MEAN -> seqMeanTokenMean(perToken, mask, globalSequenceCount);
            case SEQ_MEAN_TOKEN_SUM -> maskedSum(perToken, mask).div(Scalars.count(perToken, globalSequenceCount));
            case SEQ_MEAN_TOKEN_SUM_NORM -> {
                if (!(normConstant > 0f) || Float.isInfinite(normConstant)) {
                    throw new IllegalArgumentException(wireName + " needs a finite normConstant > 0 (e.g. the "
                            + "maximum response length), got " + normConstant);
                }
                float denominator = Math.max(1f, globalSequenceCount) * normConstant;
                yield maskedSum(perToken, mask).div(Scalars.of(perToken, denominator));
            }
        };
    }

    private static NDArray maskedSum(NDArray perToken, NDArray mask) {
        return perToken.mul(mask).sum();
    }

    private static NDArray tokenMean(NDArray perToken, NDArray mask, float globalTokenCount) {
        NDArray tokens = Scalars.count(perToken, globalTokenCount);
        return perToken.mul(mask).sum().div(tokens);
    }

    private static NDArray seqMeanTokenMean(NDArray perToken, NDArray mask, int globalSequenceCount) {
        NDArray one = Scalars.of(perToken, 1f);
        NDArray sequences = Scalars.count(perToken, globalSequenceCount);
        NDArray rowSums = perToken.mul(mask).sum(new int[] {1});
        NDArray rowTokens = mask.sum(new int[] {1}).maximum(one); // an all-masked row contributes 0, not NaN
        return rowSums.div(rowTokens).sum().div(sequences);
    }
}
