package troupe.server;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import troupe.v1.WorkflowEvent;

/** Renders workflow events for a terminal: a progress bar with the latest step metrics, and one line per milestone. */
final class WatchPrinter {
  private final PrintStream out;
  private final boolean tty;
  private boolean barShown;

  WatchPrinter(PrintStream out, boolean tty) {
    this.out = out;
    this.tty = tty;
  }

  /** Redraws one progress line on a terminal; prints one line per step when output goes to a file or pipe. */
  static WatchPrinter forStdout() {
    return new WatchPrinter(System.out, isTerminal());
  }

  private static boolean isTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try { // JDK 22+ returns a console even when redirected and says so here; before 22 a console means a terminal
      return (boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  void print(WorkflowEvent e) {
    switch (e.getKindCase()) {
      case STEP -> step(e);
      case STAGE_STARTED -> line(String.format(Locale.ROOT, "stage %d %s (%s, %d steps) started",
          e.getStageStarted().getStageIndex(), e.getStageStarted().getStage(), e.getStageStarted().getAlgorithm(),
          e.getStageStarted().getTotalSteps()));
      case EVAL -> line(String.format(Locale.ROOT, "  eval %s step %d: held-out accuracy %.3f on %d prompts (%.1f s)%s",
          e.getEval().getStage(), e.getEval().getStep(), e.getEval().getAccuracy(), e.getEval().getPrompts(),
          e.getEval().getElapsedSeconds(), checks(e.getEval().getChecksMap())));
      case IMAGE_GRID -> line("  images " + e.getImageGrid().getPath());
      case SAMPLES -> e.getSamples().getSamplesList().forEach(s -> line(String.format(Locale.ROOT,
          "    %s%s  (answer %s, reward %.1f)", s.getPrompt(), s.getCompletion(), s.getAnswer(), s.getReward())));
      case CHECKPOINT -> line("  checkpoint " + e.getCheckpoint().getPath());
      case STAGE_FINISHED -> line(String.format(Locale.ROOT, "stage %d %s finished after %d steps",
          e.getStageFinished().getStageIndex(), e.getStageFinished().getStage(), e.getStageFinished().getSteps()));
      case COMPLETED -> line(String.format(Locale.ROOT, "workflow completed in %.1f s", e.getCompleted().getSeconds()));
      case FAILED -> line("workflow FAILED: " + e.getFailed().getCause());
      case CANCELLED -> line("workflow cancelled: " + e.getCancelled().getReason());
      case NOTICE -> line("  " + e.getNotice().getText());
      default -> { }
    }
  }

  /** Per-check pass rates of an image evaluation, e.g. " | color 0.95 count 0.60 shape 0.80 position 0.40". */
  private static String checks(Map<String, Double> rates) {
    StringBuilder b = new StringBuilder(rates.isEmpty() ? "" : " |");
    rates.forEach((name, rate) -> b.append(String.format(Locale.ROOT, " %s %.2f", name, rate)));
    return b.toString();
  }

  private void step(WorkflowEvent e) {
    var m = e.getStep();
    int width = 24;
    int done = m.getTotalSteps() == 0 ? 0 : Math.min(width, width * m.getStep() / m.getTotalSteps());
    StringBuilder phases = new StringBuilder();
    for (Map.Entry<String, Double> p : m.getPhaseSecondsMap().entrySet()) {
      phases.append(String.format(Locale.ROOT, " %s=%.2f", p.getKey(), p.getValue()));
    }
    StringBuilder extras = new StringBuilder(); // what only some algorithms report
    if (m.getValueLoss() != 0) {
      extras.append(String.format(Locale.ROOT, " vf %.4f ev %.2f", m.getValueLoss(), m.getExplainedVariance()));
    }
    if (m.getSamplingRounds() > 1) {
      extras.append(" rounds ").append(m.getSamplingRounds());
    }
    String text = String.format(Locale.ROOT,
        "[%s%s] %s %d/%d loss %.4f reward %.3f acc %.3f kl %.4f clip %.3f ent %.3f len %.1f%s tok/s %.0f |%s",
        "#".repeat(done), ".".repeat(width - done), m.getStage(), m.getStep(), m.getTotalSteps(), m.getLoss(),
        m.getRewardMean(), m.getAccuracy(), m.getKl(), m.getClipFraction(), m.getEntropy(), m.getResponseLength(),
        extras, m.getTokensPerSecond(), phases);
    if (tty) {
      out.print("\r\033[2K" + text);
      barShown = true;
    } else {
      out.println(text);
    }
    out.flush();
  }

  private void line(String text) {
    if (barShown) {
      out.print("\r\033[2K");
      barShown = false;
    }
    out.println(text);
    out.flush();
  }
}
