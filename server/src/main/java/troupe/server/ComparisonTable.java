package troupe.server;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The results of `troupe compare`: one row per preset, as a markdown table, JSON and an accuracy-vs-time plot. */
final class ComparisonTable {
  /**
   * One preset's run.
   *
   * @param curve held-out accuracy evaluations as (seconds into the RL stage, accuracy); the first is the SFT start
   */
  record Row(String preset, String workflowId, String state, int steps, double secondsPerStep,
      double tokensPerSecond, List<double[]> curve) {
    double start() {
      return curve.isEmpty() ? Double.NaN : curve.get(0)[1];
    }

    double last() {
      return curve.isEmpty() ? Double.NaN : curve.get(curve.size() - 1)[1];
    }

    double best() {
      return curve.stream().mapToDouble(p -> p[1]).max().orElse(Double.NaN);
    }
  }

  private final List<Row> rows;
  private final float budgetSeconds;
  private final long seed;

  ComparisonTable(List<Row> rows, float budgetSeconds, long seed) {
    this.rows = rows;
    this.budgetSeconds = budgetSeconds;
    this.seed = seed;
  }

  /** The SFT start's accuracy, the same for every preset; a mismatch is flagged because it breaks the comparison. */
  String start() {
    double first = rows.isEmpty() ? Double.NaN : rows.get(0).start();
    boolean same = rows.stream().allMatch(r -> Double.compare(r.start(), first) == 0);
    return number(first) + (same ? "" : " (NOT the same for every preset: see the start column)");
  }

  String markdown() {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
        "Held-out accuracy from one SFT start (%s), seed %d, %.0f s of RL per preset%n%n", start(), seed,
        budgetSeconds));
    b.append("| preset | steps | start | final | best | final - start | s/step | tokens/s | state |\n");
    b.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %.2f | %.0f | %s |%n", r.preset(),
          r.steps(), number(r.start()), number(r.last()), number(r.best()), signed(r.last() - r.start()),
          r.secondsPerStep(), r.tokensPerSecond(), r.state()));
    }
    return b.toString();
  }

  String json() {
    List<String> items = new ArrayList<>();
    for (Row r : rows) {
      List<String> points = new ArrayList<>();
      for (double[] p : r.curve()) {
        points.add(String.format(Locale.ROOT, "[%.1f,%.4f]", p[0], p[1]));
      }
      items.add(String.format(Locale.ROOT, "{\"preset\":\"%s\",\"workflow_id\":\"%s\",\"state\":\"%s\",\"steps\":%d,"
              + "\"seconds_per_step\":%.3f,\"tokens_per_second\":%.1f,\"accuracy_vs_seconds\":[%s]}", r.preset(),
          r.workflowId(), r.state().replace("\"", "'"), r.steps(), r.secondsPerStep(), r.tokensPerSecond(),
          String.join(",", points)));
    }
    return String.format(Locale.ROOT, "{\"seed\":%d,\"budget_seconds\":%.1f,\"presets\":[%s]}%n", seed,
        budgetSeconds, String.join(",", items));
  }

  BufferedImage plot() {
    List<LinePlot.Series> series = new ArrayList<>();
    for (Row r : rows) {
      if (!r.curve().isEmpty()) {
        series.add(new LinePlot.Series(r.preset(), r.curve().stream().mapToDouble(p -> p[0]).toArray(),
            r.curve().stream().mapToDouble(p -> p[1]).toArray()));
      }
    }
    return LinePlot.render("held-out accuracy vs wall time, seed " + seed, "seconds of rl", "accuracy", series, 0,
        1);
  }

  private static String number(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String signed(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%+.3f", v);
  }
}
