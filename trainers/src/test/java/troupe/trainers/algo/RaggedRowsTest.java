package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class RaggedRowsTest {
  @Test
  void padAndUnpadRoundTripWithAMaskOfTheLengths() {
    List<float[]> rows = List.of(new float[] {1f, 2f, 3f}, new float[] {4f}, new float[0]);
    int[] lengths = {3, 1, 0};
    float[][] mask = RaggedRows.mask(lengths);
    assertArrayEquals(new float[] {1f, 1f, 1f}, mask[0]);
    assertArrayEquals(new float[] {1f, 0f, 0f}, mask[1]);
    assertArrayEquals(new float[] {0f, 0f, 0f}, mask[2]);
    float[][] grid = RaggedRows.pad(rows, 3);
    assertArrayEquals(new float[] {4f, 0f, 0f}, grid[1]);
    List<float[]> back = RaggedRows.unpad(grid, lengths);
    for (int i = 0; i < rows.size(); i++) {
      assertArrayEquals(rows.get(i), back.get(i));
    }
  }

  @Test
  void klPerTokenUsesTheNamedEstimator() {
    List<float[]> lp = List.of(new float[] {-1f, -2f});
    List<float[]> ref = List.of(new float[] {-1.5f, -1f});
    // d = lp - ref = 0.5, -1
    assertArrayEquals(new float[] {0.5f, -1f}, RaggedRows.klPerToken("k1", lp, ref).get(0), 1e-6f);
    assertArrayEquals(new float[] {0.125f, 0.5f}, RaggedRows.klPerToken("k2", lp, ref).get(0), 1e-6f);
    // k3 = exp(-d) + d - 1
    float[] k3 = RaggedRows.klPerToken("k3", lp, ref).get(0);
    assertEquals(Math.exp(-0.5) + 0.5 - 1, k3[0], 1e-6);
    assertEquals(Math.exp(1) - 1 - 1, k3[1], 1e-6);
    var e = assertThrows(IllegalArgumentException.class, () -> RaggedRows.klPerToken("k9", lp, ref));
    assertEquals("unknown KL estimator \"k9\"; allowed: k1, k2, k3", e.getMessage());
  }
}
