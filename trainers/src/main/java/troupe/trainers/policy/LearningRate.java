package troupe.trainers.policy;

import troupe.v1.OptimizerSettings;

/**
 * The learning rate of the n-th optimizer update (1-based): linear warmup from 0 over warmup_steps, then constant,
 * or cosine decay to final_learning_rate at total_steps.
 */
final class LearningRate {
  private LearningRate() {}

  static void check(OptimizerSettings s) {
    if (!s.getSchedule().isEmpty() && !s.getSchedule().equals("constant") && !s.getSchedule().equals("cosine")) {
      throw new IllegalArgumentException("unknown learning-rate schedule \"" + s.getSchedule()
          + "\"; allowed: constant, cosine");
    }
  }

  static float at(OptimizerSettings s, long update) {
    float base = s.getLearningRate();
    int warmup = s.getWarmupSteps();
    if (update <= warmup) {
      return base * update / warmup;
    }
    if (!s.getSchedule().equals("cosine")) {
      return base;
    }
    long decaySteps = Math.max(1, s.getTotalSteps() - warmup);
    double progress = Math.min(1.0, (double) (update - warmup) / decaySteps);
    float end = s.getFinalLearningRate();
    return (float) (end + (base - end) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  }
}
