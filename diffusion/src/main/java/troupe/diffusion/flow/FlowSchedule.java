package troupe.diffusion.flow;

/**
 * The sigma (= t) schedule of a flow-matching sampler (algorithms.md section 6.1).
 *
 * <p>{@code t = 1} is pure noise and {@code t = 0} the clean image; the schedule decreases, so every step has
 * {@code dt = sigmas[i + 1] - sigmas[i] < 0}.
 */
public final class FlowSchedule {

    private FlowSchedule() {
    }

    /**
     * {@code steps + 1} sigmas: {@code linspace(1, 0, steps + 1)}, each mapped by the SD3 time shift
     * {@code t' = s*t / (1 + (s-1)*t)}. The shift keeps 1 at 1 and 0 at 0 and, for {@code s > 1}, spends more of the
     * steps at high noise. {@code s = 1} leaves the linear schedule unchanged.
     *
     * @param steps number of sampling steps (at least 1)
     * @param shift time shift s (SD3.5 uses 3), must be {@code > 0}
     * @return sigmas, first exactly 1, last exactly 0
     */
    public static float[] sigmas(int steps, float shift) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        if (!(shift > 0f) || Float.isInfinite(shift)) {
            throw new IllegalArgumentException("shift must be > 0 and finite, got " + shift);
        }
        float[] sigmas = new float[steps + 1];
        for (int i = 0; i <= steps; i++) {
            double t = 1.0 - (double) i / steps;
            sigmas[i] = (float) (shift * t / (1.0 + (shift - 1.0) * t));
        }
        // Pin the ends: the SDE treats t == 1 specially (FlowSde.sigmaT) and the last step must land on t = 0.
        sigmas[0] = 1f;
        sigmas[steps] = 0f;
        return sigmas;
    }
}
