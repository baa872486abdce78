package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OverlongPunishmentTest {
  @Test
  void zeroThenLinearInTheBufferThenMinusTheFactor() {
    // L_max 10, L_cache 3: free up to 7 tokens, then -(len - 7) / 3
    assertEquals(0f, OverlongPunishment.penalty(1, 10, 3, 1f));
    assertEquals(0f, OverlongPunishment.penalty(7, 10, 3, 1f));
    assertEquals(-1f / 3, OverlongPunishment.penalty(8, 10, 3, 1f), 1e-6);
    assertEquals(-2f / 3, OverlongPunishment.penalty(9, 10, 3, 1f), 1e-6);
    assertEquals(-1f, OverlongPunishment.penalty(10, 10, 3, 1f), 1e-6);
    assertEquals(-1f, OverlongPunishment.penalty(12, 10, 3, 1f), 1e-6);
    assertEquals(-4f / 3, OverlongPunishment.penalty(9, 10, 3, 2f), 1e-6);
  }

  @Test
  void bufferZeroIsOffAndABufferAsLongAsTheBudgetIsRejected() {
    assertEquals(0f, OverlongPunishment.penalty(10, 10, 0, 1f));
    assertThrows(IllegalArgumentException.class, () -> OverlongPunishment.penalty(5, 10, 10, 1f));
    assertThrows(IllegalArgumentException.class, () -> OverlongPunishment.penalty(5, 10, -1, 1f));
  }
}
