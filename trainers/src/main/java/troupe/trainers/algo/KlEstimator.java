package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;

/**
 * Per-token estimators of {@code KL(pi_theta || pi_ref)} from samples of the current policy (Schulman 2020;
 * algorithms.md section 0.5). With {@code d = lp - lp_ref}:
 * k1 = d, k2 = d^2 / 2, k3 = exp(-d) + d - 1.
 *
 * <p>Results have the shape of the inputs and no mask applied; aggregate them with a {@link LossAggregation}.
 * Pass the current log-probs (with gradient) when the KL is a loss term (GRPO), the behaviour log-probs when it
 * is a reward penalty.
 */
public final class KlEstimator {

    /** verl clamps {@code lp_ref - lp} to this range before {@code exp} in k3. */
    static final float LOG_RATIO_LIMIT = 20f;
    /** verl clamps the k3 value to {@code [-KL_LIMIT, KL_LIMIT]}. */
    static final float KL_LIMIT = 10f;

    private KlEstimator() {
    }

    /** k1 ("kl"): {@code lp - lp_ref}. Unbiased, can be negative per token; its expected gradient as a loss is 0. */
    public static NDArray k1(NDArray logProbs, NDArray refLogProbs) {
        return logProbs.sub(refLogProbs);
    }

    /** k2 ("mse"): {@code 0.5 * (lp - lp_ref)^2}. Non-negative, biased; gradient of the reverse KL in expectation. */
    public static NDArray k2(NDArray logProbs, NDArray refLogProbs) {
        NDArray d = logProbs.sub(refLogProbs);
        return d.mul(d).mul(Scalars.of(logProbs, 0.5f));
    }

    /**
     * k3 ("low_var_kl", GRPO eq. 4): {@code exp(x) - x - 1} with {@code x = lp_ref - lp}, verl's clamps:
     * x to [-20, 20] and the result to [-10, 10] (verl {@code kl_penalty_forward}). Non-negative, low variance.
     */
    public static NDArray k3(NDArray logProbs, NDArray refLogProbs) {
        // clip(Number, Number) goes to torch.clamp with scalar arguments (no temporary NDArray), so it is safe here.
        // x = -(lp - ref), written lp-first so the result lives in lp's manager (docs/stack.md).
        NDArray x = logProbs.sub(refLogProbs).neg().clip(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT);
        NDArray one = Scalars.of(logProbs, 1f);
        return x.exp().sub(x).sub(one).clip(-KL_LIMIT, KL_LIMIT);
    }
}
