package troupe.diffusion.flow;

import ai.djl.ndarray.NDArray;

/**
 * Flow-GRPO's KL penalty between the current and the reference policy at one denoising step (algorithms.md
 * section 6.4, "what the code actually computes"; flow_grpo {@code scripts/train_sd3.py}).
 */
public final class FlowKl {

    private FlowKl() {
    }

    /**
     * {@code kl_b = mean over the non-batch elements of (mean - refMean)^2 / (2 sigmaT^2)}.
     *
     * <p>This is the reference code's definition, not the exact Gaussian KL {@code ||mu - mu_ref||^2 / (2 s^2)} with
     * {@code s^2 = sigmaT^2 |dt|}: it takes the element MEAN instead of the sum and has no {@code |dt|} factor, so it
     * is the exact KL divided by {@code |dt| * D}. The KL weight beta is calibrated to this definition.
     *
     * @param mean    {@code [B, ...]} {@link FlowSde#mean} under the current weights; carries gradient
     * @param refMean {@code [B, ...]} the same under the reference weights; detached here (the reference is frozen)
     * @param sigmaT  {@link FlowSde#sigmaT} at this step, {@code > 0}
     * @return {@code [B]}, in {@code mean}'s manager
     */
    public static NDArray kl(NDArray mean, NDArray refMean, float sigmaT) {
        FlowArrays.requireFloat32(mean, "mean");
        FlowArrays.requireFloat32(refMean, "refMean");
        FlowArrays.requireSameShape(mean, "mean", refMean, "refMean");
        if (!(sigmaT > 0f) || Float.isInfinite(sigmaT)) {
            throw new IllegalArgumentException("sigmaT must be > 0 and finite, got " + sigmaT);
        }
        float twoVariance = (float) (2.0 * (double) sigmaT * sigmaT);
        NDArray squared = mean.sub(refMean.stopGradient()).square();
        // As in the reference: element mean first, then divide by 2 sigmaT^2 (an NDArray scalar, see FlowArrays).
        return FlowArrays.perSampleMean(squared, "mean").div(FlowArrays.scalar(mean, twoVariance));
    }
}
