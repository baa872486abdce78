package troupe.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import troupe.actors.ResumePoints;
import troupe.trainers.policy.PolicyTrainer;
import troupe.trainers.spec.SpecLimits;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.ResumePointSaved;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * `troupe bench-resume`: the demo model's resume points (size, time to write with hashes and fsyncs, time to verify
 * and load back) and the time a `troupe server` process killed with -9 takes to resume: from starting the new
 * process to its first new step. Prints a JSON line and writes it to results.json.
 */
@Command(name = "bench-resume", description = "Resume points of the demo model (size, write and restore time) and "
    + "the resume time after kill -9 of the server process; prints JSON.")
final class ResumeBench implements Callable<Integer> {
  @Option(names = "--config", description = "workflow file (default: configs/grpo-arith.yaml of the Troupe home)")
  Path config;

  @Option(names = "--kill-at-step", description = "GRPO step after which the server is killed (default "
      + "${DEFAULT-VALUE}); a resume point is written every 5 steps")
  int killAt = 17;

  @Option(names = "--out", description = "results folder (default ${DEFAULT-VALUE})")
  Path out = Path.of("troupe-data", "bench", "resume");

  @Override
  public Integer call() throws Exception {
    WorkflowSpec base = WorkflowYaml.parse(Files.readString(config == null ? Demo.defaultConfig() : config));
    WorkflowSpec spec = shortened(base);
    Path dir = out.toAbsolutePath();
    Path data = dir.resolve("data-" + System.currentTimeMillis());
    Files.createDirectories(data);
    Map<String, Double> results = new LinkedHashMap<>();

    String id;
    WorkflowSpec resolved;
    List<ResumePointSaved> points = new ArrayList<>();
    try (NodeProcess first = NodeProcess.server(dir, "bench-resume-1", data);
        TroupeClient client = client(first, data)) {
      id = client.stub().submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpec(spec).build()).getWorkflowId();
      resolved = client.get(id).getSpec(); // with the server's defaults: the model the policy really has
      Iterator<WorkflowEvent> events = client.watch(id);
      while (events.hasNext()) {
        WorkflowEvent e = events.next();
        if (e.hasResumePoint()) {
          points.add(e.getResumePoint());
        }
        if (e.hasStep() && e.getStep().getStageIndex() == spec.getStagesCount() - 1
            && e.getStep().getStep() == killAt) {
          break;
        }
      }
      first.kill();
    }
    ResumePointSaved newest = points.get(points.size() - 1);
    results.put("resume_point_bytes", (double) newest.getBytes());
    results.put("resume_point_write_seconds_median", median(points.stream().map(ResumePointSaved::getSeconds)
        .toList()));
    results.put("resume_point_restore_seconds_median", restoreSeconds(resolved,
        data.resolve("workflows").resolve(id).resolve(newest.getPath())));

    long started = System.nanoTime();
    try (NodeProcess second = NodeProcess.server(dir, "bench-resume-2", data);
        TroupeClient client = client(second, data)) {
      Iterator<WorkflowEvent> events = client.watch(id);
      boolean restarted = false;
      while (events.hasNext()) {
        WorkflowEvent e = events.next();
        restarted |= e.hasNotice() && e.getNotice().getText().startsWith("the server restarted");
        if (restarted && e.hasStep()) {
          results.put("resume_seconds_process_start_to_first_new_step", (System.nanoTime() - started) / 1e9);
          break;
        }
      }
    }

    BenchResults.write(dir, results);
    return 0;
  }

  /** The demo's model and stages, cut short: a few SFT steps, then GRPO with a resume point every 5 steps. */
  private WorkflowSpec shortened(WorkflowSpec base) {
    WorkflowSpec.Builder b = base.toBuilder().setName("resume-bench");
    var sft = b.getStagesBuilder(0);
    sft.setSft(sft.getSft().toBuilder().setSteps(20));
    var grpo = b.getStagesBuilder(b.getStagesCount() - 1);
    grpo.setGrpo(grpo.getGrpo().toBuilder().setSteps(killAt + 20));
    b.getRuntimeBuilder().setResumeEverySteps(5);
    b.getEvalBuilder().setEverySteps(SpecLimits.MAX_STEPS);
    return b.build();
  }

  private static TroupeClient client(NodeProcess server, Path data) throws java.io.IOException {
    return new TroupeClient("127.0.0.1:" + server.grpcPort,
        ClientSecurity.token(TokenFile.read(TokenFile.in(data))));
  }

  /** Verifying the manifest's hashes and loading the model and optimizer, as a resume does; median of 5. */
  private static double restoreSeconds(WorkflowSpec spec, Path point) throws Exception {
    List<Double> times = new ArrayList<>();
    try (PolicyTrainer policy = new PolicyTrainer(spec.getModel(), spec.getSeed(), "cpu")) {
      for (int i = 0; i < 6; i++) {
        long t = System.nanoTime();
        ResumePoints.verify(point);
        policy.loadFull(point);
        if (i > 0) { // the first is warm-up
          times.add((System.nanoTime() - t) / 1e9);
        }
      }
    }
    return median(times);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
