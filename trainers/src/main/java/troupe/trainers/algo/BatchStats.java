package troupe.trainers.algo;

import java.util.List;

/** Population statistics of a batch's values for step metrics (rewards per sample, advantages per token). */
public final class BatchStats {
  private BatchStats() {}

  /** Mean, population std, min and max; all 0 for no values. */
  public record Summary(double mean, double std, double min, double max) {}

  public static Summary of(float[] values) {
    return overTokens(List.of(values));
  }

  /** Over every value of every row. */
  public static Summary overTokens(List<float[]> rows) {
    double sum = 0;
    long n = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (float[] row : rows) {
      for (float v : row) {
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
        n++;
      }
    }
    if (n == 0) {
      return new Summary(0, 0, 0, 0);
    }
    double mean = sum / n;
    double squares = 0;
    for (float[] row : rows) {
      for (float v : row) {
        squares += (v - mean) * (v - mean);
      }
    }
    return new Summary(mean, Math.sqrt(squares / n), min, max);
  }

  /** The share of true flags; 0 for none. */
  public static double fraction(boolean[] flags) {
    int n = 0;
    for (boolean f : flags) {
      n += f ? 1 : 0;
    }
    return flags.length == 0 ? 0 : (double) n / flags.length;
  }
}
