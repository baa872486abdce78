package troupe.trainers.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import troupe.v1.OptimizerSettings;

class OptimizerStepTest {
  @Test
  void weightDecayIsDecoupledFromTheGradient() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray w = manager.create(new float[] {0.5f, -2f, 0.01f});
      w.setRequiresGradient(true);
      // A zero gradient: AdamW only decays, w * (1 - lr * wd). Adam's L2 term would instead move every weight by
      // about lr, because it normalizes wd * w by its own magnitude.
      w.getGradient().subi(w.getGradient());
      OptimizerSettings s = OptimizerSettings.newBuilder().setLearningRate(0.01f).setWeightDecay(0.1f).build();
      new OptimizerStep().apply(s, Map.of("w", w), 0);
      float shrink = 1 - 0.01f * 0.1f;
      assertArrayEquals(new float[] {0.5f * shrink, -2f * shrink, 0.01f * shrink}, w.toFloatArray(), 1e-6f);
    }
  }

  /** One step on f(w) = sum(c * w^2), its gradient from a real backward pass. */
  private static void step(OptimizerStep opt, OptimizerSettings s, NDArray w, float[] coeff) {
    AutogradLane.LOCK.lock();
    try (ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
      collector.backward(w.square().mul(w.getManager().create(coeff)).sum());
    } finally {
      AutogradLane.LOCK.unlock();
    }
    opt.apply(s, Map.of("w", w), 0);
  }

  @Test
  void firstStepMovesEachWeightByTheLearningRateAndStateRoundTripsExactly() {
    OptimizerSettings s = OptimizerSettings.newBuilder().setLearningRate(0.1f).setWeightDecay(0.01f)
        .setWarmupSteps(2).setMaxGradNorm(1f).build();
    float[] coeff = {1f, 3f, 0.5f};
    try (NDManager manager = NDManager.newBaseManager()) {
      // Adam's first step is lr * g / |g| per element: with warmup 2 the first lr is 0.05.
      NDArray w = manager.create(new float[] {1f, -1f, 2f});
      w.setRequiresGradient(true);
      OptimizerStep straight = new OptimizerStep();
      step(straight, s, w, coeff);
      float d = 0.05f;
      float decay = 1 - 0.05f * 0.01f;
      assertArrayEquals(new float[] {1f * decay - d, -1f * decay + d, 2f * decay - d}, w.toFloatArray(), 1e-5f);
      for (int i = 0; i < 5; i++) {
        step(straight, s, w, coeff);
      }

      // The same six steps with the state exported after three and restored into a new optimizer.
      NDArray u = manager.create(new float[] {1f, -1f, 2f});
      u.setRequiresGradient(true);
      OptimizerStep first = new OptimizerStep();
      for (int i = 0; i < 3; i++) {
        step(first, s, u, coeff);
      }
      OptimizerStep.State state = first.state();
      Map<String, NDArray> copies = new java.util.HashMap<>();
      state.tensors().forEach((k, v) -> copies.put(k, v.duplicate()));
      OptimizerStep resumed = new OptimizerStep();
      resumed.restore(new OptimizerStep.State(state.settings(), state.updates(), copies), Map.of("w", u));
      for (int i = 0; i < 3; i++) {
        step(resumed, s, u, coeff);
      }
      assertArrayEquals(w.toFloatArray(), u.toFloatArray(), 0f);
    }
  }

  @Test
  void learningRateWarmsUpThenDecays() {
    OptimizerSettings s = OptimizerSettings.newBuilder().setLearningRate(1f).setWarmupSteps(4)
        .setSchedule("cosine").setTotalSteps(8).setFinalLearningRate(0.2f).build();
    float[] lr = new float[9];
    for (int t = 1; t <= 9; t++) {
      lr[t - 1] = LearningRate.at(s, t);
    }
    assertArrayEquals(new float[] {0.25f, 0.5f, 0.75f, 1f, 0.8828f, 0.6f, 0.3172f, 0.2f, 0.2f}, lr, 1e-4f);
  }
}
