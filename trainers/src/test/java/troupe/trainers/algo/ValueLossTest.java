package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValueLossTest {
  // Row 0: three valid tokens; row 1: one valid token and junk after it.
  private static final float[][] V = {{1.0f, 0.5f, 0.0f}, {0.3f, 1e30f, -1e30f}};
  private static final float[][] OLD = {{0.5f, 0.5f, 0.5f}, {0.0f, 1e30f, 7f}};
  private static final float[][] R = {{2.0f, 0.0f, 0.2f}, {1.0f, -1e30f, 3f}};
  private static final float[][] MASK = {{1f, 1f, 1f}, {1f, 0f, 0f}};

  @Test
  void clippedValueLossByHand() {
    // eps 0.2: V_clip = OLD + clip(V - OLD, -0.2, 0.2)
    //   (1.0, old 0.5, R 2.0): V_clip 0.7; (V-R)^2 = 1.00, (V_clip-R)^2 = 1.69 -> 1.69, clipped
    //   (0.5, old 0.5, R 0.0): V_clip 0.5; 0.25 and 0.25 -> 0.25, not clipped (not strictly larger)
    //   (0.0, old 0.5, R 0.2): V_clip 0.3; 0.04 and 0.01 -> 0.04, not clipped
    //   (0.3, old 0.0, R 1.0): V_clip 0.2; 0.49 and 0.64 -> 0.64, clipped
    // loss = 0.5 * (1.69 + 0.25 + 0.04 + 0.64) / 4 tokens = 0.3275; clip fraction 2 / 4
    try (NDManager m = NDManager.newBaseManager()) {
      ValueLoss.Result r = ValueLoss.compute(m.create(V), m.create(OLD), m.create(R), m.create(MASK), 0.2f, 4f);
      assertEquals(0.3275f, r.loss().getFloat(), 1e-6f);
      assertEquals(0.5f, r.clipFraction(), 1e-6f);
      // unclipped: 0.5 * (1.00 + 0.25 + 0.04 + 0.49) / 4 = 0.2225
      ValueLoss.Result plain = ValueLoss.compute(m.create(V), m.create(OLD), m.create(R), m.create(MASK), 0f, 4f);
      assertEquals(0.2225f, plain.loss().getFloat(), 1e-6f);
      assertEquals(0f, plain.clipFraction());
    }
  }

  @Test
  void microBatchesOfDifferentLengthsAddUpToTheFullBatch() {
    float[] whole = gradient(List.of(new int[] {0, 2}));
    float[] split = gradient(List.of(new int[] {0, 1}, new int[] {1, 2}));
    assertArrayEquals(whole, split, 1e-6f);
  }

  /** Gradient of the summed micro-batch losses w.r.t. V, each normalised by the 4 valid tokens of the step. */
  private static float[] gradient(List<int[]> chunks) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray v = m.create(V);
      v.setRequiresGradient(true);
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        for (int[] rows : chunks) {
          NDArray part = v.get(rows[0] + ":" + rows[1]);
          ValueLoss.Result r = ValueLoss.compute(part, m.create(OLD).get(rows[0] + ":" + rows[1]),
              m.create(R).get(rows[0] + ":" + rows[1]), m.create(MASK).get(rows[0] + ":" + rows[1]), 0.2f, 4f);
          c.backward(r.loss());
        }
      }
      float[] g = v.getGradient().toFloatArray();
      // junk positions get no gradient
      assertEquals(0f, g[4]);
      assertEquals(0f, g[5]);
      return g;
    }
  }

  @Test
  void explainedVarianceByHand() {
    List<float[]> returns = List.of(new float[] {1f, 2f}, new float[] {3f});
    // values off by +-0.5 alternately: residuals -0.5, 0.5, 0 -> Var 1/6; Var(R) = 2/3 -> EV = 1 - 0.25 = 0.75
    List<float[]> values = List.of(new float[] {1.5f, 1.5f}, new float[] {3f});
    assertEquals(0.75, ExplainedVariance.of(returns, values), 1e-6);
    assertEquals(1.0, ExplainedVariance.of(returns, returns), 1e-9);
    List<float[]> mean = List.of(new float[] {2f, 2f}, new float[] {2f});
    assertEquals(0.0, ExplainedVariance.of(returns, mean), 1e-6);
    assertEquals(0.0, ExplainedVariance.of(List.of(new float[] {1f, 1f}), List.of(new float[] {0f, 2f})));
  }
}
