package troupe.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `troupe bench-memory`: the submission check's estimate of a training step's tensors (CostChecks) against the
 * resident memory the step really adds. Each case runs in its own JVM so that peaks do not mix: the child builds the
 * trainer, runs one warm-up step on 2 rows (gradients and optimizer state now exist), resets VmHWM, reads VmRSS,
 * runs the step and reads VmHWM; the difference is the step's peak.
 */
@Command(name = "bench-memory", description = "Measured peak memory of training steps against the estimate that "
    + "submission checks (CostChecks); prints a table and JSON.")
final class MemoryBench implements Callable<Integer> {
  private static final Pattern CHILD_LINE = Pattern.compile("bench-memory-child rss_before=(\\d+) peak=(\\d+)");
  private static final int WARM_UP_ROWS = 2;
  private static final double MIB = 1 << 20;

  @Option(names = "--cases", split = ",", description = "the cases to run (default: all of them)")
  List<String> cases = MemoryCase.ALL.stream().map(MemoryCase::name).toList();

  @Option(names = "--out", description = "results folder (default ${DEFAULT-VALUE})")
  Path out = Path.of("troupe-data", "bench", "memory");

  @Option(names = "--measure", hidden = true, description = "in a child: measure this one case, print its numbers")
  String measure;

  @Override
  public Integer call() throws Exception {
    if (measure != null) {
      return measure(MemoryCase.named(measure));
    }
    List<MemoryCase> chosen = cases.stream().map(MemoryCase::named).toList(); // unknown names fail before any run
    Path dir = out.toAbsolutePath();
    Files.createDirectories(dir);
    Map<String, Double> results = new LinkedHashMap<>();
    System.out.printf(Locale.ROOT, "%-20s %14s %14s %8s%n", "case", "estimate MiB", "measured MiB", "ratio");
    for (MemoryCase c : chosen) {
      double estimate = c.estimateBytes() / MIB;
      double measured = runChild(dir, c) / MIB;
      System.out.printf(Locale.ROOT, "%-20s %14.1f %14.1f %8.2f%n", c.name(), estimate, measured,
          measured / estimate);
      results.put(c.name() + "_estimate_mib", estimate);
      results.put(c.name() + "_measured_mib", measured);
      results.put(c.name() + "_ratio", measured / estimate);
    }
    BenchResults.write(dir, results);
    return 0;
  }

  /** The step's peak growth in bytes, measured by a child JVM whose output goes to CASE.log. */
  private static long runChild(Path dir, MemoryCase c) throws IOException, InterruptedException {
    Path log = dir.resolve(c.name() + ".log");
    Process p = NodeProcess.offline(new ProcessBuilder(NodeProcess.troupeCommand(List.of("bench-memory",
        "--measure", c.name())))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException(c.name() + " did not finish within 10 minutes; see " + log);
    }
    return peakGrowth(Files.readString(log), c.name(), log);
  }

  /** Reads the child's line; fails with its output's path when the child did not print one. */
  static long peakGrowth(String output, String name, Path log) throws IOException {
    Matcher m = CHILD_LINE.matcher(output);
    if (!m.find()) {
      throw new IOException(name + " printed no measurement; see " + log);
    }
    return Long.parseLong(m.group(2)) - Long.parseLong(m.group(1));
  }

  private static int measure(MemoryCase c) throws IOException {
    try (MemoryStep step = new MemoryStep(c.spec())) {
      step.step(WARM_UP_ROWS).run();
      Runnable measured = step.step(step.stageRows()); // the batch is built before the baseline is read
      // No System.gc() here: G1 would then give heap back to the OS during the step, which looks like a smaller step.
      ProcessMemory.resetPeak(); // before the baseline: the peak cannot then end below it
      long before = ProcessMemory.residentBytes();
      measured.run();
      System.out.println("bench-memory-child rss_before=" + before + " peak=" + ProcessMemory.peakResidentBytes());
    }
    return 0;
  }
}
