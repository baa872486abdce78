package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class LengthNormalizedLossTest {
  // sums -2 and -6 over 2 and 3 tokens (avg -1, -2) against -6 and -3 over 3 and 1 token (avg -2, -3)
  private static DpoLoss.Result loss(NDManager m, String type, float beta, float gamma) {
    return LengthNormalizedLoss.compute(m.create(new float[] {-2f, -6f}), m.create(new float[] {-6f, -3f}),
        m.create(new float[] {2f, 3f}), m.create(new float[] {3f, 1f}), type, beta, gamma);
  }

  @Test
  void simpoByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      // beta (avg_w - avg_l) - gamma = 2 * 1 - 1 = 1 for both pairs: softplus(-1)
      DpoLoss.Result r = loss(m, "simpo", 2f, 1f);
      assertEquals(0.31326169, r.loss().getFloat(), 1e-6);
      assertEquals(1f, r.accuracy());
      assertEquals(2 * -1.5f, r.rewardsChosen(), 1e-6); // beta * mean avg_w
      // doubling a sequence's length at the same average changes nothing
      DpoLoss.Result longer = LengthNormalizedLoss.compute(m.create(new float[] {-4f, -6f}),
          m.create(new float[] {-6f, -3f}), m.create(new float[] {4f, 3f}), m.create(new float[] {3f, 1f}), "simpo",
          2f, 1f);
      assertEquals(r.loss().getFloat(), longer.loss().getFloat(), 1e-7);
    }
  }

  @Test
  void orpoOddsRatioByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      // log_odds = (avg_w - avg_l) - (log(1 - e^avg_w) - log(1 - e^avg_l)): 1.3132617 and 1.0943443;
      // NLL of the chosen = 8 / 5 tokens; loss = 1.6 + 0.1 * mean(softplus(-log_odds))
      assertEquals(1.62634669, loss(m, "orpo", 0.1f, 0f).loss().getFloat(), 1e-6);
    }
  }

  @Test
  void nearCertainCompletionsStayFiniteAndUnknownTypesAreNamed() {
    try (NDManager m = NDManager.newBaseManager()) {
      float l = LengthNormalizedLoss.compute(m.create(new float[] {0f}), m.create(new float[] {-1f}),
          m.create(new float[] {1f}), m.create(new float[] {1f}), "orpo", 0.1f, 0f).loss().getFloat();
      assertTrue(Float.isFinite(l), "loss " + l);
      var e = assertThrows(IllegalArgumentException.class, () -> loss(m, "kto", 1f, 0f));
      assertEquals("unknown length-normalized loss \"kto\"; allowed: simpo, orpo", e.getMessage());
    }
  }
}
