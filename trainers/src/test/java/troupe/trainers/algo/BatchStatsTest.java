package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatchStatsTest {
  @Test
  void populationStatisticsOverRaggedRows() {
    BatchStats.Summary s = BatchStats.overTokens(List.of(new float[] {1f, 3f}, new float[] {5f}, new float[0]));
    assertEquals(3.0, s.mean(), 1e-12);
    assertEquals(Math.sqrt(8.0 / 3), s.std(), 1e-12);
    assertEquals(1.0, s.min());
    assertEquals(5.0, s.max());
    assertEquals(new BatchStats.Summary(0, 0, 0, 0), BatchStats.of(new float[0]));
    assertEquals(0.25, BatchStats.fraction(new boolean[] {true, false, false, false}));
  }
}
