package troupe.trainers.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PassAtKTest {
  @Test
  void unbiasedEstimatorByHand() {
    assertEquals(0.25, PassAtK.of(4, 1, 1), 1e-12);         // c / n
    assertEquals(0.5, PassAtK.of(4, 1, 2), 1e-12);          // 1 - C(3,2)/C(4,2) = 1 - 3/6
    assertEquals(1 - 1.0 / 6, PassAtK.of(4, 2, 2), 1e-12);  // 1 - C(2,2)/C(4,2)
    assertEquals(1.0, PassAtK.of(4, 3, 2), 1e-12);          // fewer than k wrong
    assertEquals(0.0, PassAtK.of(8, 0, 8), 1e-12);
    assertEquals(1.0, PassAtK.of(8, 1, 8), 1e-12);
    assertEquals((0.25 + 1.0) / 2, PassAtK.mean(4, new int[] {1, 4}, 1), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> PassAtK.of(4, 1, 5));
  }

  @Test
  void pairsAreBestAgainstWorstAndTiesGiveNone() {
    assertEquals(new PreferencePair(2, 1), PreferencePair.bestAndWorst(new float[] {0.5f, 0f, 1f, 0f}));
    assertNull(PreferencePair.bestAndWorst(new float[] {1f, 1f, 1f}));
    assertThrows(IllegalArgumentException.class, () -> PreferencePair.bestAndWorst(new float[] {1f}));
  }
}
