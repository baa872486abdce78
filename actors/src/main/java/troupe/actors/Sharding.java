package troupe.actors;

import java.util.ArrayList;
import java.util.List;

/** Splits n items into contiguous, nearly equal ranges, one per worker; a prompt group is one item, so it stays whole. */
final class Sharding {
  private Sharding() {}

  /** Returns {from, to} pairs; workers beyond n get nothing. */
  static List<int[]> ranges(int n, int workers) {
    List<int[]> out = new ArrayList<>();
    int shards = Math.max(1, Math.min(n, workers));
    for (int s = 0; s < shards; s++) {
      int from = (int) ((long) n * s / shards);
      int to = (int) ((long) n * (s + 1) / shards);
      if (to > from) {
        out.add(new int[] {from, to});
      }
    }
    return out;
  }
}
