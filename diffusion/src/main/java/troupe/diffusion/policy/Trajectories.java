package troupe.diffusion.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import troupe.diffusion.model.ImageModelConfig;

/** Shape checks for trajectories received from other workers, so a malformed message fails with its reason. */
final class Trajectories {
  private Trajectories() {}

  /** A trajectory tensor the request lacks, e.g. a rollout sampled without keep_trajectory. */
  static void require(boolean present, String field) {
    if (!present) {
      throw new IllegalArgumentException(field + " missing: training and reference means need the rollout's "
          + "trajectory (sample with keep_trajectory and noise_level > 0)");
    }
  }

  /**
   * latents must be [N, T+1, C, H, W] with sigmas of length T+1 decreasing to 0, and the trained transitions
   * [first, first + trainSteps) within [0, T).
   */
  static void check(NDArray latents, float[] sigmas, int trajectories, int first, int trainSteps,
      ImageModelConfig c) {
    int steps = sigmas.length - 1;
    Shape expected = new Shape(trajectories, steps + 1, ImageModelConfig.CHANNELS, c.imageSize(), c.imageSize());
    if (!latents.getShape().equals(expected)) {
      throw new IllegalArgumentException("latents have shape " + latents.getShape() + ", expected " + expected
          + " (trajectories, steps + 1, channels, height, width)");
    }
    if (trainSteps < 1 || first < 0 || first + trainSteps > steps) {
      throw new IllegalArgumentException("trained transitions [" + first + ", " + (first + trainSteps)
          + ") (first_train_step, + train_steps) are not a non-empty part of the " + steps + " steps");
    }
    for (int i = 0; i < steps; i++) {
      if (!(sigmas[i] > sigmas[i + 1]) || sigmas[i] > 1f || sigmas[i + 1] < 0f) {
        throw new IllegalArgumentException("sigmas must decrease within [0, 1]; got " + sigmas[i] + " then "
            + sigmas[i + 1] + " at step " + i);
      }
    }
  }
}
