package troupe.actors;

import java.util.ArrayList;
import java.util.List;

/** Splits n items into contiguous ranges, one per worker; a prompt group is one item, so it stays whole. */
final class Sharding {
  private Sharding() {}

  /**
   * Ranges in proportion to the weights (measured throughput), one per weight in order, by largest remainder.
   * While there are at least as many items as workers, every worker gets one or more, so a slow worker is still
   * measured and can earn a larger share back.
   */
  static List<int[]> weighted(int n, double[] weights) {
    int k = weights.length;
    double sum = 0;
    for (double w : weights) {
      sum += Math.max(w, 0);
    }
    int floor = n >= k ? 1 : 0;
    int rest = n - floor * k;
    int[] counts = new int[k];
    double[] remainder = new double[k];
    int given = 0;
    for (int i = 0; i < k; i++) {
      double quota = sum > 0 ? rest * Math.max(weights[i], 0) / sum : (double) rest / k;
      counts[i] = (int) Math.floor(quota);
      remainder[i] = quota - counts[i];
      given += counts[i];
    }
    for (; given < rest; given++) {
      int best = 0;
      for (int i = 1; i < k; i++) {
        if (remainder[i] > remainder[best]) {
          best = i;
        }
      }
      counts[best]++;
      remainder[best] = -1;
    }
    List<int[]> out = new ArrayList<>(k);
    int from = 0;
    for (int i = 0; i < k; i++) {
      int to = from + counts[i] + floor;
      out.add(new int[] {from, to});
      from = to;
    }
    return out;
  }
}
