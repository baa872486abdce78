package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardingTest {
  private static int[] sizes(List<int[]> ranges) {
    int[] out = new int[ranges.size()];
    int next = 0;
    for (int i = 0; i < out.length; i++) {
      assertEquals(next, ranges.get(i)[0], "ranges are contiguous");
      out[i] = ranges.get(i)[1] - ranges.get(i)[0];
      next = ranges.get(i)[1];
    }
    return out;
  }

  @Test
  void equalRangesKeepEveryItemOnce() {
    assertArrayEquals(new int[] {4, 3, 3}, sizes(Sharding.weighted(10, new double[] {1, 1, 1})));
    assertArrayEquals(new int[] {1, 1, 0, 0, 0}, sizes(Sharding.weighted(2, new double[] {1, 1, 1, 1, 1})));
    assertArrayEquals(new int[] {0, 0, 0}, sizes(Sharding.weighted(0, new double[] {1, 1, 1})));
  }

  @Test
  void weightedRangesFollowThroughput() {
    assertArrayEquals(new int[] {6, 2}, sizes(Sharding.weighted(8, new double[] {3, 1})));
    // A worker 100 times slower still gets one item, so it is measured again and can earn work back.
    assertArrayEquals(new int[] {7, 1}, sizes(Sharding.weighted(8, new double[] {100, 1})));
    // Fewer items than workers: the fastest get them, nobody gets a negative share.
    assertArrayEquals(new int[] {1, 0, 1}, sizes(Sharding.weighted(2, new double[] {2, 1, 2})));
    // Unmeasured (all zero) weights split evenly.
    assertArrayEquals(new int[] {2, 2, 1}, sizes(Sharding.weighted(5, new double[] {0, 0, 0})));
  }
}
