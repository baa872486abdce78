package troupe.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import troupe.actors.NodeConfig;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * `troupe bench`: the demo for several seeds. Prints, per seed, held-out accuracy after SFT, after GRPO and of the
 * continued-SFT control, the share of a GRPO step spent in each phase, and writes the accuracy-vs-wall-time curves
 * as JSON lines.
 */
@Command(name = "bench", description = "Run the demo for several seeds and report accuracy, control and phase shares.")
final class Bench implements Callable<Integer> {
  @Option(names = "--config", description = "workflow file (default: configs/grpo-arith.yaml of the Troupe home)")
  Path config;

  @Option(names = "--seeds", split = ",", description = "seeds (default ${DEFAULT-VALUE})")
  List<Long> seeds = List.of(1L, 2L, 3L);

  @Option(names = "--out", description = "curve file (default ${DEFAULT-VALUE})")
  Path out = Path.of("troupe-data", "bench", "grpo-arith-curves.jsonl");

  @Override
  public Integer call() throws Exception {
    WorkflowSpec base = WorkflowYaml.parse(Files.readString(config == null ? Demo.defaultConfig() : config));
    Path dataDir = out.toAbsolutePath().getParent();
    Files.createDirectories(dataDir);
    List<String> rows = new ArrayList<>();
    List<String> curves = new ArrayList<>();
    NodeConfig node = NodeConfig.embedded(dataDir).withWorkflowsAsInputs(); // the control starts from a checkpoint
    try (TroupeServer server = TroupeServer.embedded(node);
        TroupeClient client = TroupeClient.of(server)) {
      for (long seed : seeds) {
        WorkflowSpec spec = base.toBuilder().setSeed(seed).build();
        Demo.Outcome o = Demo.run(client, spec, true);
        rows.add(String.format(Locale.ROOT, "%4d  %8.3f  %9.3f  %9.3f  %9.3f  %7.1f  %s", seed,
            o.rl().accuracyBeforeRl(), o.rl().finalAccuracy(), o.rl().bestRlAccuracy(),
            o.control() == null ? Double.NaN : o.control().finalAccuracy(), o.rl().rlSeconds(), phaseShares(o.rl())));
        curves.add(curve(seed, "grpo", o.rl().rlEvals()));
        if (o.control() != null) {
          curves.add(curve(seed, "continued_sft", o.control().rlEvalsOrAll()));
        }
      }
    }
    Files.write(out, curves);
    System.out.println("seed  sft_acc   grpo_acc   grpo_best  control    grpo_s   phase shares of a GRPO step");
    rows.forEach(System.out::println);
    System.out.println("curves (accuracy against seconds into the stage): " + out);
    return 0;
  }

  static String phaseShares(Demo.Run run) {
    Map<String, Double> total = new TreeMap<>();
    double all = 0;
    for (WorkflowEvent e : run.steps) {
      if (e.getStep().getStageIndex() == run.rlStage()) {
        for (Map.Entry<String, Double> p : e.getStep().getPhaseSecondsMap().entrySet()) {
          total.merge(p.getKey(), p.getValue(), Double::sum);
          all += p.getValue();
        }
      }
    }
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Double> p : total.entrySet()) {
      b.append(String.format(Locale.ROOT, "%s %.0f%% ", p.getKey(), 100 * p.getValue() / all));
    }
    return b.toString().trim();
  }

  static String curve(long seed, String arm, List<WorkflowEvent> evals) {
    StringBuilder points = new StringBuilder();
    for (WorkflowEvent e : evals) {
      if (points.length() > 0) {
        points.append(',');
      }
      points.append(String.format(Locale.ROOT, "[%.1f,%.4f]", e.getEval().getElapsedSeconds(),
          e.getEval().getAccuracy()));
    }
    return String.format(Locale.ROOT, "{\"seed\":%d,\"arm\":\"%s\",\"points\":[%s]}", seed, arm, points);
  }
}
