package troupe.trainers.algo;

import java.util.List;

/**
 * The KL coefficient beta and how it changes between steps (algorithms.md section 2.4). Immutable: {@link #update}
 * returns the controller for the next step, so the caller keeps the state (e.g. in a checkpoint).
 *
 * <ul>
 *   <li>{@code fixed}: beta stays constant.
 *   <li>{@code adaptive} (Ziegler et al. 2019, Sec. 2.2; TRL legacy and verl {@code AdaptiveKLController}):
 *       {@code e = clip(kl / targetKl - 1, -0.2, 0.2)}, {@code beta <- beta * (1 + e * steps / horizon)}.
 * </ul>
 * Unit trap (section 2.4): the observed KL must be in the unit of {@code targetKl}. verl feeds the batch mean of the
 * per-sequence token-mean KL (target 0.1 per token) and {@code steps = batch size}; TRL legacy the batch mean of the
 * per-sequence summed k1 (target 6 nats per sequence) and {@code steps = batch size * processes}.
 */
public sealed interface KlController permits KlController.Fixed, KlController.Adaptive {

    /** The coefficient to use for this step. */
    float beta();

    /**
     * The controller for the next step.
     *
     * @param observedKl the KL measured on this step's batch, in the unit of the target (finite; may be negative
     *                   with k1)
     * @param steps      samples in this step ({@code n_steps}), >= 0
     */
    KlController update(float observedKl, int steps);

    /** The allowed controller names. */
    static List<String> names() {
        return List.of("fixed", "adaptive");
    }

    /**
     * A controller by name. {@code targetKl} and {@code horizon} are read only by {@code adaptive} (verl defaults:
     * init 0.001, target 0.1, horizon 10000; TRL legacy: init 0.2, target 6, horizon 10000).
     */
    static KlController create(String name, float initBeta, float targetKl, float horizon) {
        if ("fixed".equals(name)) {
            return new Fixed(initBeta);
        }
        if ("adaptive".equals(name)) {
            return new Adaptive(initBeta, targetKl, horizon);
        }
        throw new IllegalArgumentException("unknown KL controller \"" + name + "\"; allowed: "
                + String.join(", ", names()));
    }

    /** A constant beta. */
    record Fixed(float beta) implements KlController {
        public Fixed {
            checkBeta(beta);
        }

        @Override
        public KlController update(float observedKl, int steps) {
            checkObservation(observedKl, steps);
            return this;
        }
    }

    /**
     * The PPO adaptive controller.
     *
     * @param beta     current coefficient, >= 0
     * @param targetKl KL the controller steers to, > 0
     * @param horizon  steps over which a full 20% correction is applied, > 0
     */
    record Adaptive(float beta, float targetKl, float horizon) implements KlController {

        /** The proportional error is clipped to +-0.2 so one noisy batch cannot move beta much. */
        static final double MAX_ERROR = 0.2;

        public Adaptive {
            checkBeta(beta);
            if (!(targetKl > 0f) || Float.isInfinite(targetKl)) {
                throw new IllegalArgumentException("targetKl must be a finite number > 0, got " + targetKl);
            }
            if (!(horizon > 0f) || Float.isInfinite(horizon)) {
                throw new IllegalArgumentException("horizon must be a finite number > 0, got " + horizon);
            }
        }

        @Override
        public KlController update(float observedKl, int steps) {
            checkObservation(observedKl, steps);
            double error = Math.max(-MAX_ERROR, Math.min(MAX_ERROR, (double) observedKl / targetKl - 1.0));
            // Clamped at 0: with steps > 5 * horizon the formula alone could make beta negative.
            double next = Math.max(0.0, beta * (1.0 + error * steps / horizon));
            return new Adaptive((float) next, targetKl, horizon);
        }
    }

    private static void checkBeta(float beta) {
        if (!(beta >= 0f) || Float.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be a finite number >= 0, got " + beta);
        }
    }

    private static void checkObservation(float observedKl, int steps) {
        if (!Float.isFinite(observedKl)) {
            throw new IllegalArgumentException("observedKl must be finite, got " + observedKl);
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
    }
}
