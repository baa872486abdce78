package troupe.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import troupe.actors.NodeConfig;
import troupe.actors.WorkerRole;
import troupe.trainers.spec.SpecLimits;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * `troupe bench-cluster`: what spreading a workflow over worker processes buys on this machine.
 * <ol>
 *   <li>Rollout throughput (tokens/s) with one and with two `troupe worker` processes, each pinned to its own core
 *       with taskset; the server holds the policy, reference and reward workers.</li>
 *   <li>The step time of the arithmetic GRPO workflow in one process (every role colocated) against three
 *       processes (server: policy and reference; worker 1: rollout and reward; worker 2: rollout).</li>
 * </ol>
 * Weight-sync throughput against a plain TCP copy is measured by `troupe bench-weight-sync`.
 */
@Command(name = "bench-cluster",
    description = "Rollout scaling over worker processes and colocated vs spread step time.")
final class ClusterBench implements Callable<Integer> {
  @Option(names = "--config", description = "workflow file (default: configs/grpo-arith.yaml of the Troupe home)")
  Path config;

  @Option(names = "--steps",
      description = "GRPO steps per measurement; the first is warm-up (default ${DEFAULT-VALUE})")
  int steps = 12;

  @Option(names = "--out", description = "results folder (default ${DEFAULT-VALUE})")
  Path out = Path.of("troupe-data", "bench", "cluster");

  @Override
  public Integer call() throws Exception {
    WorkflowSpec base = WorkflowYaml.parse(Files.readString(config == null ? Demo.defaultConfig() : config));
    Path dir = out.toAbsolutePath();
    Files.createDirectories(dir);
    Map<String, Double> results = new LinkedHashMap<>();

    // A rollout-heavy GRPO stage from random weights: 64 prompts x 8 samples per step.
    WorkflowSpec rollout = grpoOnly(base, 64, "rollout-bench");
    double one = rolloutTokensPerSecond(spread(dir, rollout, List.of("rollout"), List.of("0")));
    double two = rolloutTokensPerSecond(spread(dir, rollout, List.of("rollout", "rollout"), List.of("0", "1")));
    results.put("rollout_tokens_per_s_1_worker", one);
    results.put("rollout_tokens_per_s_2_workers", two);
    results.put("rollout_scaling", two / one);

    WorkflowSpec arith = grpoOnly(base, base.getStages(base.getStagesCount() - 1).getGrpo().getPromptsPerStep(),
        "step-bench");
    List<StepMetrics> colocated = colocated(dir, arith);
    List<StepMetrics> spread = spread(dir, arith, List.of("rollout,reward", "rollout"), null);
    results.put("step_seconds_colocated", meanAfterWarmup(colocated, s -> s.getSeconds()));
    results.put("step_seconds_spread_3_processes", meanAfterWarmup(spread, s -> s.getSeconds()));
    results.put("weight_sync_seconds_colocated",
        meanAfterWarmup(colocated, s -> s.getPhaseSecondsOrDefault("weight_sync", 0)));
    results.put("weight_sync_seconds_spread",
        meanAfterWarmup(spread, s -> s.getPhaseSecondsOrDefault("weight_sync", 0)));

    results.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-36s %10.3f%n", k, v));
    BenchResults.write(dir, results);
    return 0;
  }

  /** The workflow's last stage (GRPO) alone, from random weights, for this many steps and prompts per step. */
  private WorkflowSpec grpoOnly(WorkflowSpec base, int prompts, String name) {
    var stage = base.getStages(base.getStagesCount() - 1);
    return base.toBuilder().setName(name).clearStages().addStages(stage.toBuilder().setGrpo(stage.getGrpo()
            .toBuilder().setSteps(steps).setPromptsPerStep(prompts)))
        .setEval(base.getEval().toBuilder().setEverySteps(SpecLimits.MAX_STEPS)).build();
  }

  /** Server (policy, reference, reward unless a worker hosts it) plus one worker process per roles entry. */
  private List<StepMetrics> spread(Path dir, WorkflowSpec spec, List<String> workerRoles, List<String> cpus)
      throws Exception {
    EnumSet<WorkerRole> serverRoles = EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE);
    if (workerRoles.stream().noneMatch(r -> r.contains("reward"))) {
      serverRoles.add(WorkerRole.REWARD);
    }
    NodeConfig node = new NodeConfig("127.0.0.1", 0, List.of(), serverRoles, true, dir);
    List<NodeProcess> workers = new ArrayList<>();
    try (TroupeServer server = TroupeServer.embedded(node);
        TroupeClient client = TroupeClient.of(server)) {
      for (int i = 0; i < workerRoles.size(); i++) {
        workers.add(NodeProcess.worker(dir, "bench-worker-" + i, server.node().clusterAddress(), workerRoles.get(i),
            cpus == null ? null : cpus.get(i)));
      }
      WorkflowSpec placed = spec.toBuilder().setPlacement(spec.getPlacement().toBuilder()
          .putMinWorkers("rollout", (int) workerRoles.stream().filter(r -> r.contains("rollout")).count())).build();
      return run(client, placed);
    } finally {
      for (NodeProcess w : workers) {
        w.close();
      }
    }
  }

  private static List<StepMetrics> colocated(Path dir, WorkflowSpec spec) throws Exception {
    try (TroupeServer server = TroupeServer.embedded(NodeConfig.embedded(dir));
        TroupeClient client = TroupeClient.of(server)) {
      return run(client, spec);
    }
  }

  private static List<StepMetrics> run(TroupeClient client, WorkflowSpec spec) {
    Demo.Run run = Demo.Run.submit(client, spec);
    if (run.code != 0) {
      throw new IllegalStateException(spec.getName() + " did not complete: " + run.failure);
    }
    return run.steps.stream().map(WorkflowEvent::getStep).toList();
  }

  /** Sampled tokens per second of rollout phase, over the steps after the first. */
  static double rolloutTokensPerSecond(List<StepMetrics> steps) {
    double tokens = 0;
    double seconds = 0;
    for (StepMetrics s : steps.subList(1, steps.size())) {
      tokens += s.getSamples() * s.getResponseLength();
      seconds += s.getPhaseSecondsOrDefault("rollout", 0);
    }
    return tokens / seconds;
  }

  static double meanAfterWarmup(List<StepMetrics> steps, java.util.function.ToDoubleFunction<StepMetrics> f) {
    return steps.subList(1, steps.size()).stream().mapToDouble(f).average().orElse(Double.NaN);
  }
}
