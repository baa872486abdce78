package troupe.diffusion.flow;

import ai.djl.ndarray.NDArray;

/**
 * One Euler-Maruyama step of Flow-GRPO's reverse-time SDE and its Gaussian log-probability (algorithms.md sections
 * 6.2 and 6.3; reference: flow_grpo {@code sd3_sde_with_logprob.py}, {@code sde_type="sde"}).
 *
 * <p>Conventions: images are {@code [B, C, H, W]} (any {@code [B, ...]} works), float32; {@code t} is sigma, 1 is pure
 * noise; {@code dt = t_next - t < 0}. All samples of a batch are at the same step, so t, dt and the stds are floats.
 * A step is {@code x_next = mean + s * z} with {@code s = transitionStd(sigmaT, dt)} and {@code z ~ N(0, I)}.
 */
public final class FlowSde {

    /** {@code 0.5 * log(2 pi)}, the Gaussian normalising constant per element. */
    private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2.0 * Math.PI);

    private FlowSde() {
    }

    /**
     * The SDE's diffusion coefficient {@code sigma_t = a * sqrt(t / (1 - t_eff))} at step {@code i}.
     * {@code t_eff = t}, except {@code sigmas[1]} when {@code t == 1}: the reference code's substitution that avoids
     * dividing by zero at the first step of a schedule starting at 1. At {@code t = 0} it is 0.
     *
     * @param sigmas     the schedule ({@link FlowSchedule#sigmas}), decreasing from 1 to 0
     * @param i          index of the current t in {@code sigmas}
     * @param noiseLevel a ("noise_level", 0.7 in flow_grpo); 0 gives the plain ODE
     */
    public static float sigmaT(float[] sigmas, int i, float noiseLevel) {
        if (i < 0 || i >= sigmas.length) {
            throw new IllegalArgumentException("step index " + i + " outside the schedule of " + sigmas.length
                    + " sigmas");
        }
        if (!(noiseLevel >= 0f)) {
            throw new IllegalArgumentException("noiseLevel must be >= 0, got " + noiseLevel);
        }
        double t = sigmas[i];
        double tEff = t;
        if (sigmas[i] == 1f) {
            if (sigmas.length < 2) {
                throw new IllegalArgumentException("t == 1 needs sigmas[1] for the substitution; the schedule has "
                        + sigmas.length + " value(s)");
            }
            tEff = sigmas[1];
        }
        if (!(tEff < 1.0)) {
            throw new IllegalArgumentException("1 - t_eff must be > 0, got t_eff=" + tEff + " at step " + i);
        }
        return (float) (noiseLevel * Math.sqrt(t / (1.0 - tEff)));
    }

    /** The std of the step's Gaussian transition: {@code s = sigmaT * sqrt(-dt)} (dt < 0). */
    public static float transitionStd(float sigmaT, float dt) {
        if (!(dt < 0f)) {
            throw new IllegalArgumentException("dt must be < 0 (the schedule decreases), got " + dt);
        }
        if (!(sigmaT >= 0f)) {
            throw new IllegalArgumentException("sigmaT must be >= 0, got " + sigmaT);
        }
        return (float) (sigmaT * Math.sqrt(-(double) dt));
    }

    /**
     * The mean of the transition, {@code mu = x + [v + sigmaT^2/(2t) * (x + (1-t) v)] * dt}, i.e. the ODE drift plus
     * the score correction that keeps the ODE's marginals. Computed in the reference's factored form
     * {@code x * (1 + c dt) + v * (1 + c (1-t)) dt} with {@code c = sigmaT^2/(2t)}; with {@code sigmaT = 0} this is
     * bit for bit {@link #odeStep}. Differentiable in {@code v} (and {@code x}).
     *
     * @param x      {@code [B, ...]} current latents x_t
     * @param v      {@code [B, ...]} velocity predicted at (x_t, t)
     * @param t      current sigma, {@code 0 < t <= 1} (t = 0 would divide by zero; the last step starts above 0)
     * @param dt     {@code t_next - t}, negative
     * @param sigmaT {@link #sigmaT} at t
     */
    public static NDArray mean(NDArray x, NDArray v, float t, float dt, float sigmaT) {
        FlowArrays.requireFloat32(x, "x");
        FlowArrays.requireFloat32(v, "v");
        FlowArrays.requireSameShape(x, "x", v, "v");
        if (!(t > 0f && t <= 1f)) {
            throw new IllegalArgumentException("t must be in (0, 1], got " + t);
        }
        double c = (double) sigmaT * sigmaT / (2.0 * t);
        float xCoef = (float) (1.0 + c * dt);
        float vCoef = (float) ((1.0 + c * (1.0 - t)) * dt);
        // Scalars are NDArrays in x's manager (not Java Numbers): gradients flow through this expression.
        NDArray xTerm = x.mul(FlowArrays.scalar(x, xCoef));
        NDArray vTerm = v.mul(FlowArrays.scalar(x, vCoef));
        return xTerm.add(vTerm);
    }

    /**
     * The deterministic Euler step {@code x + dt * v} (the ODE sampler, noise level 0; used for evaluation). It equals
     * {@link #mean} with {@code sigmaT = 0} exactly: there {@code x * 1 == x} and {@code v} is scaled by the same dt.
     */
    public static NDArray odeStep(NDArray x, NDArray v, float dt) {
        FlowArrays.requireFloat32(x, "x");
        FlowArrays.requireFloat32(v, "v");
        FlowArrays.requireSameShape(x, "x", v, "v");
        return x.add(v.mul(FlowArrays.scalar(x, dt)));
    }

    /**
     * Per-sample log-density of {@code next} under {@code N(mean, std^2 I)}, as the reference computes it: the MEAN
     * (not the sum) over all non-batch elements of {@code -(next-mean)^2/(2 std^2) - log(std) - 0.5 log(2 pi)}. It is
     * a per-element log-density, so log-ratios are 1/D of the true ones (why the PPO clip range is 1e-4).
     *
     * <p>{@code next} is detached: training re-scores the stored sample, only the mean carries gradient.
     *
     * @param next {@code [B, ...]} the sampled x_next (stored at rollout)
     * @param mean {@code [B, ...]} {@link #mean} under the weights being scored; carries gradient
     * @param std  {@link #transitionStd}, must be {@code > 0} (with noise level 0 the log-prob is undefined)
     * @return {@code [B]} log-probs, in {@code mean}'s manager
     */
    public static NDArray logProb(NDArray next, NDArray mean, float std) {
        FlowArrays.requireFloat32(next, "next");
        FlowArrays.requireFloat32(mean, "mean");
        FlowArrays.requireSameShape(next, "next", mean, "mean");
        if (!(std > 0f) || Float.isInfinite(std)) {
            throw new IllegalArgumentException("std must be > 0 and finite, got " + std);
        }
        float negHalfPrecision = (float) (-1.0 / (2.0 * (double) std * std));
        float constant = (float) (-Math.log(std) - HALF_LOG_TWO_PI);
        // (mean - next)^2 == (next - mean)^2; writing mean first keeps the result in the activations' manager.
        NDArray squared = mean.sub(next.stopGradient()).square();
        NDArray perElement = squared.mul(FlowArrays.scalar(mean, negHalfPrecision))
                .add(FlowArrays.scalar(mean, constant));
        return FlowArrays.perSampleMean(perElement, "mean");
    }

    /**
     * Draws the next latents {@code mean + std * noise} with the caller's {@code noise ~ N(0, I)} (passing the noise
     * in keeps this a pure function and lets rollouts control seeds). Used at rollout time, where no gradient is
     * recorded.
     */
    public static NDArray sample(NDArray mean, float std, NDArray noise) {
        FlowArrays.requireFloat32(mean, "mean");
        FlowArrays.requireFloat32(noise, "noise");
        FlowArrays.requireSameShape(mean, "mean", noise, "noise");
        if (!(std >= 0f)) {
            throw new IllegalArgumentException("std must be >= 0, got " + std);
        }
        return mean.add(noise.mul(FlowArrays.scalar(mean, std)));
    }
}
