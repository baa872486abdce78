package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;

/** Masked next-token negative log-likelihood for supervised fine-tuning (algorithms.md section 1). */
public final class SftLoss {

    private SftLoss() {
    }

    /**
     * {@code -sum_{i,t} m * lp / globalTokenCount}: token-mean over the <em>whole optimizer step</em>, so the
     * losses of its micro-batches add up to the full-batch mean (section 1 "Aggregation"; section 0.4).
     *
     * @param tokenLogProbs    {@code [B,T]} log-probs of the target tokens (shifted, section 0.2); carry gradient
     * @param mask             {@code [B,T]} float, 1 on trained (completion) tokens, 0 on prompt and padding
     * @param globalTokenCount trained tokens in the whole optimizer step; clamped to >= 1 (an all-masked batch
     *                         gives 0, not NaN)
     * @return a scalar NDArray, attached to {@code tokenLogProbs}' manager
     */
    public static NDArray loss(NDArray tokenLogProbs, NDArray mask, float globalTokenCount) {
        NDArray tokens = Scalars.count(tokenLogProbs, globalTokenCount);
        return tokenLogProbs.mul(mask).sum().neg().div(tokens);
    }
}
