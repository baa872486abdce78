package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class DpoLossTest {
  // pair 1: ratios chosen -1 - -2 = 1, rejected -3 - -2 = -1, h = 2; pair 2: ratios 0 and 1, h = -1. beta 0.5.
  private static final float[] POLICY_CHOSEN = {-1f, -2f};
  private static final float[] POLICY_REJECTED = {-3f, -1f};
  private static final float[] REF = {-2f, -2f};

  private static DpoLoss.Result loss(NDManager m, String type, float eps) {
    return DpoLoss.compute(m.create(POLICY_CHOSEN), m.create(POLICY_REJECTED), m.create(REF), m.create(REF), type,
        0.5f, eps);
  }

  @Test
  void everyLossTypeByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      // softplus(-1) = 0.3132617, softplus(0.5) = 0.9740770
      assertEquals((0.3132617 + 0.9740770) / 2, loss(m, "sigmoid", 0).loss().getFloat(), 1e-6);
      // 0.9 softplus(-beta h) + 0.1 softplus(beta h): 0.4132617 and 0.9240770
      assertEquals((0.4132617 + 0.9240770) / 2, loss(m, "cdpo", 0.1f).loss().getFloat(), 1e-6);
      // (0.9 softplus(-beta h) - 0.1 softplus(beta h)) / 0.8: 0.1882617 and 1.0365770
      assertEquals((0.1882617 + 1.0365770) / 2, loss(m, "robust", 0.1f).loss().getFloat(), 1e-6);
      // (h - 1 / (2 beta))^2 = (h - 1)^2: 1 and 4
      assertEquals(2.5, loss(m, "ipo", 0).loss().getFloat(), 1e-6);
      // relu(1 - beta h): 0 and 1.5
      assertEquals(0.75, loss(m, "hinge", 0).loss().getFloat(), 1e-6);
      assertEquals(loss(m, "sigmoid", 0).loss().getFloat(), loss(m, "cdpo", 0).loss().getFloat(), 1e-7);
    }
  }

  @Test
  void metricsAreTheImplicitRewards() {
    try (NDManager m = NDManager.newBaseManager()) {
      DpoLoss.Result r = loss(m, "sigmoid", 0);
      assertEquals(0.25f, r.rewardsChosen(), 1e-6);   // beta * (1 + 0) / 2
      assertEquals(0f, r.rewardsRejected(), 1e-6);    // beta * (-1 + 1) / 2
      assertEquals(0.5f, r.accuracy());               // pair 1 right, pair 2 wrong
    }
  }

  @Test
  void raisingTheChosenLogProbLowersTheLoss() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray chosen = m.create(POLICY_CHOSEN);
      chosen.setRequiresGradient(true);
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        c.backward(DpoLoss.compute(chosen, m.create(POLICY_REJECTED), m.create(REF), m.create(REF), "sigmoid", 0.5f,
            0f).loss());
      }
      for (float g : chosen.getGradient().toFloatArray()) {
        assertTrue(g < 0, "gradient " + g);
      }
    }
  }

  @Test
  void hugeMarginsStayFiniteAndBadSettingsAreNamed() {
    try (NDManager m = NDManager.newBaseManager()) {
      float l = DpoLoss.compute(m.create(new float[] {-1000f}), m.create(new float[] {0f}), m.create(new float[] {0f}),
          m.create(new float[] {0f}), "sigmoid", 1f, 0f).loss().getFloat();
      assertEquals(1000f, l, 1e-3); // softplus(1000) = 1000, not infinity
      var e = assertThrows(IllegalArgumentException.class, () -> loss(m, "kto", 0));
      assertEquals("unknown DPO loss type \"kto\"; allowed: sigmoid, ipo, cdpo, robust, hinge", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> loss(m, "robust", 0.5f));
    }
  }
}
