package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class KtoLossTest {
  @Test
  void lossAroundTheReferencePointByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      // z0 = mean(0.2, 0.6) = 0.4, beta 0.5, lambda_D 1, lambda_U 2:
      // desirable sigmoid(-0.5 (r - 0.4)) for r = 1, -1: 0.4255575, 0.6681878
      // undesirable 2 sigmoid(-0.5 (0.4 - r)) for r = -2, 0.5: 0.4629504, 1.0249948; mean of the four 0.6454226
      DpoLoss.Result r = KtoLoss.compute(m.create(new float[] {1f, -1f}), m.create(new float[] {-2f, 0.5f}),
          m.create(new float[] {0.2f, 0.6f}), 0.5f, 1f, 2f);
      assertEquals(0.6454226, r.loss().getFloat(), 1e-6);
      assertEquals(0.5f, r.accuracy()); // 1 > z0 and -2 < z0 are right; -1 and 0.5 are not
      // a negative mismatched mean is clamped: z0 = 0
      DpoLoss.Result clamped = KtoLoss.compute(m.create(new float[] {1f, -1f}), m.create(new float[] {-2f, 0.5f}),
          m.create(new float[] {-3f, -1f}), 0.5f, 1f, 2f);
      assertEquals(0.66555896, clamped.loss().getFloat(), 1e-6);
      assertThrows(IllegalArgumentException.class, () -> KtoLoss.compute(m.create(new float[] {1f}),
          m.create(new float[] {1f}), m.create(new float[] {1f}), 0f, 1f, 1f));
    }
  }
}
