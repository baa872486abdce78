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
}
