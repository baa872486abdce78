package troupe.diffusion.flow;

import ai.djl.ndarray.NDArray;

/**
 * The Flow-GRPO loss of one micro-step: one batch at one denoising step (algorithms.md section 6.4, "what the code
 * actually computes"; flow_grpo {@code scripts/train_sd3.py}):
 * {@code loss = mean_i max(-A_i r_i, -A_i clip(r_i, 1-eps, 1+eps)) + beta * mean_i kl_i}, {@code r = exp(lp - lp_old)}.
 *
 * <p>Averaging over the trained steps and batches is left to gradient accumulation, as in the reference.
 */
public final class FlowGrpoLoss {

    private FlowGrpoLoss() {
    }

    /**
     * @param loss         scalar to differentiate (in {@code logProb}'s manager)
     * @param policyLoss   value of the clipped surrogate term
     * @param kl           {@code mean_i kl_i}; 0 when no KL is given
     * @param clipFraction share of samples with {@code |ratio - 1| > clipRange} (the reference's clipfrac: it counts
     *                     every ratio outside the band, also where the unclipped branch is the one taken)
     * @param approxKl     {@code mean_i 0.5 (lp - lp_old)^2}, the k2 estimate of KL(old || current) for logging
     */
    public record Result(NDArray loss, float policyLoss, float kl, float clipFraction, float approxKl) {
    }

    /**
     * @param logProb    {@code [B]} {@link FlowSde#logProb} under the current weights; carries gradient
     * @param oldLogProb {@code [B]} the log-probs stored at rollout (behaviour weights)
     * @param advantages {@code [B]} already clipped ({@link FlowAdvantage})
     * @param kl         {@code [B]} {@link FlowKl#kl}; may be null when {@code klBeta == 0}
     * @param clipRange  eps of the ratio clip (flow_grpo 1e-4, tiny because log-probs are per-element means)
     * @param klBeta     KL weight (flow_grpo 0.04 / 0.01); 0 leaves the KL out of the loss
     */
    public static Result compute(NDArray logProb, NDArray oldLogProb, NDArray advantages, NDArray kl,
                                 float clipRange, float klBeta) {
        if (logProb.getShape().dimension() != 1) {
            throw new IllegalArgumentException("logProb must be [B], got " + logProb.getShape());
        }
        FlowArrays.requireSameShape(logProb, "logProb", oldLogProb, "oldLogProb");
        FlowArrays.requireSameShape(logProb, "logProb", advantages, "advantages");
        if (kl != null) {
            FlowArrays.requireSameShape(logProb, "logProb", kl, "kl");
        }
        if (!(clipRange >= 0f && clipRange < 1f)) {
            throw new IllegalArgumentException("clipRange must be in [0, 1), got " + clipRange);
        }
        if (!(klBeta >= 0f)) {
            throw new IllegalArgumentException("klBeta must be >= 0, got " + klBeta);
        }
        if (klBeta > 0f && kl == null) {
            throw new IllegalArgumentException("kl is required when klBeta > 0 (klBeta=" + klBeta + ")");
        }
        // No clamp on the log-ratio: the reference has none, and per-element-mean log-probs move very little.
        NDArray ratio = logProb.sub(oldLogProb).exp();
        // clip(Number, Number) is torch.clamp with scalar arguments: no temporary NDArray is made (unlike mul(Number)).
        NDArray clippedRatio = ratio.clip(1f - clipRange, 1f + clipRange);
        // Ratio first: results belong to the first operand's manager, which is the step's (docs/stack.md).
        NDArray unclipped = ratio.mul(advantages).neg();        // -A * ratio
        NDArray clipped = clippedRatio.mul(advantages).neg();   // -A * clip(ratio, 1 - eps, 1 + eps)
        NDArray policy = unclipped.maximum(clipped).mean();
        NDArray loss = policy;
        float klValue = 0f;
        if (kl != null) {
            NDArray klMean = kl.mean();
            klValue = klMean.stopGradient().getFloat();
            if (klBeta > 0f) {
                loss = policy.add(klMean.mul(FlowArrays.scalar(logProb, klBeta)));
            }
        }
        return new Result(loss, policy.stopGradient().getFloat(), klValue, clipFraction(ratio, clipRange),
                approxKl(logProb, oldLogProb));
    }

    /** Share of samples whose ratio left the band, read out in Java (logging only, no gradient). */
    private static float clipFraction(NDArray ratio, float clipRange) {
        float[] r = ratio.stopGradient().toFloatArray();
        int outside = 0;
        for (float value : r) {
            if (Math.abs(value - 1f) > clipRange) {
                outside++;
            }
        }
        return r.length == 0 ? 0f : (float) outside / r.length;
    }

    /** {@code mean 0.5 (lp - lp_old)^2} in double from the float values (logging only). */
    private static float approxKl(NDArray logProb, NDArray oldLogProb) {
        float[] lp = logProb.stopGradient().toFloatArray();
        float[] old = oldLogProb.stopGradient().toFloatArray();
        double sum = 0.0;
        for (int i = 0; i < lp.length; i++) {
            double d = (double) lp[i] - old[i];
            sum += 0.5 * d * d;
        }
        return lp.length == 0 ? 0f : (float) (sum / lp.length);
    }
}
