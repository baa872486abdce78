package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * A server stopped in the middle of GRPO and started again on the same data folder: the workflow goes on from its
 * newest resume point without anyone asking, and ends with exactly the metrics of a run that was never stopped.
 */
class ResumeTest {
  static final WorkflowSpec SPEC = withResumeEvery2(Workflows.tiny("""
      stages:
        - sft: {steps: 4, batch_size: 8}
        - grpo: {steps: 30, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
      """));

  static WorkflowSpec withResumeEvery2(WorkflowSpec spec) {
    return withResumeEvery(spec, 2);
  }

  static WorkflowSpec withResumeEvery(WorkflowSpec spec, int steps) {
    return spec.toBuilder().setRuntime(spec.getRuntime().toBuilder().setResumeEverySteps(steps)
        .setKeepResumePoints(2)).build();
  }

  static List<StepMetrics> grpoSteps(List<WorkflowEvent> events) {
    return steps(events, 1);
  }

  static List<StepMetrics> steps(List<WorkflowEvent> events, int stageIndex) {
    return events.stream().filter(e -> e.hasStep() && e.getStep().getStageIndex() == stageIndex)
        .map(WorkflowEvent::getStep).toList();
  }

  /**
   * Starts the workflow and stops the whole node right after GRPO step {@code stopAfter} (the stage has 30 steps,
   * so it is far from done); returns the workflow's folder.
   */
  static Path runUntilStopped(Path dir, int stopAfter) throws Exception {
    return runUntilStopped(NodeConfig.embedded(dir), SPEC, 1, stopAfter);
  }

  /** Starts the workflow and stops the whole node right after step {@code stopAfter} of a stage. */
  static Path runUntilStopped(NodeConfig config, WorkflowSpec spec, int stageIndex, int stopAfter)
      throws Exception {
    TroupeNode node = TroupeNode.start(config);
    String id = node.submit(spec).toCompletableFuture().get(10, TimeUnit.SECONDS).getWorkflowId();
    CompletableFuture<Void> reached = new CompletableFuture<>();
    node.watch(id, 0, e -> {
      if (e.hasStep() && e.getStep().getStageIndex() == stageIndex && e.getStep().getStep() == stopAfter) {
        reached.complete(null);
      }
      return true;
    });
    reached.get(120, TimeUnit.SECONDS);
    node.close();
    return config.dataDir().resolve("workflows").resolve(id);
  }

  /**
   * The point a restart resumes from: the newest one the workflow's events name. The node may stop after a point
   * reached the disk but before its event did.
   */
  static String newestNamedPoint(Path folder) throws java.io.IOException {
    return EventFiles.read(folder).stream().filter(WorkflowEvent::hasResumePoint).reduce((x, y) -> y).orElseThrow()
        .getResumePoint().getPath();
  }

  @Test
  void resumedRunEndsWithTheMetricsOfAnUninterruptedOne(@TempDir Path dir) throws Exception {
    List<WorkflowEvent> straight;
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir.resolve("straight")))) {
      straight = Workflows.run(node, SPEC, Duration.ofSeconds(120));
    }
    assertTrue(Workflows.last(straight).hasCompleted(), () -> "events: " + straight);

    Path folder = runUntilStopped(dir.resolve("stopped"), 5);
    String newest = newestNamedPoint(folder);
    assertTrue(newest.startsWith("resume/stage-1-step-"), newest);
    List<WorkflowEvent> resumed;
    try (TroupeNode restarted = TroupeNode.start(NodeConfig.embedded(dir.resolve("stopped")))) {
      resumed = Workflows.watch(restarted, folder.getFileName().toString(), Duration.ofSeconds(120));
    }
    assertTrue(Workflows.last(resumed).hasCompleted(), () -> "events: " + resumed);
    assertTrue(resumed.stream().anyMatch(e -> e.hasNotice()
        && e.getNotice().getText().contains("resuming from " + newest)), () -> "events: " + resumed);

    // Steps 1..30 once each, in order, and the same numbers as the run that was never stopped.
    List<StepMetrics> a = grpoSteps(straight);
    List<StepMetrics> b = grpoSteps(resumed);
    assertEquals(java.util.stream.IntStream.rangeClosed(1, 30).boxed().toList(),
        b.stream().map(StepMetrics::getStep).toList());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).getRewardMean(), b.get(i).getRewardMean(), 1e-9, "reward at step " + (i + 1));
      assertEquals(a.get(i).getLoss(), b.get(i).getLoss(), 1e-6, "loss at step " + (i + 1));
      assertEquals(a.get(i).getKl(), b.get(i).getKl(), 1e-6, "kl at step " + (i + 1));
    }
    List<Double> evalsA = evals(straight);
    assertEquals(evalsA, evals(resumed));
    // seq numbers stay gapless after the dropped events
    for (int i = 0; i < resumed.size(); i++) {
      assertEquals(i + 1, resumed.get(i).getSeq());
    }
    // Started once more, the server has no orchestrator for the ended workflow: a watcher gets its whole
    // history from disk, then the stream ends.
    try (TroupeNode again = TroupeNode.start(NodeConfig.embedded(dir.resolve("stopped")))) {
      assertEquals(resumed, Workflows.watch(again, folder.getFileName().toString(), Duration.ofSeconds(30)));
    }
  }

  private static List<Double> evals(List<WorkflowEvent> events) {
    List<Double> out = new ArrayList<>();
    events.stream().filter(WorkflowEvent::hasEval).forEach(e -> out.add(e.getEval().getAccuracy()));
    return out;
  }

  @Test
  void damagedNewestPointFallsBackToThePreviousOneAndSaysSo(@TempDir Path dir) throws Exception {
    Path folder = runUntilStopped(dir, 5);
    List<Path> points = new ResumePoints(folder).points();
    Path newest = points.get(points.size() - 1);
    Path previous = points.get(points.size() - 2);
    byte[] optimizer = Files.readAllBytes(newest.resolve("optimizer.safetensors"));
    optimizer[optimizer.length / 2] ^= 0x40;
    Files.write(newest.resolve("optimizer.safetensors"), optimizer);
    try (TroupeNode restarted = TroupeNode.start(NodeConfig.embedded(dir))) {
      List<WorkflowEvent> resumed = Workflows.watch(restarted, folder.getFileName().toString(),
          Duration.ofSeconds(120));
      assertTrue(Workflows.last(resumed).hasCompleted(), () -> "events: " + resumed);
      assertTrue(resumed.stream().anyMatch(e -> e.hasNotice() && e.getNotice().getText().contains(
          "resume point " + folder.relativize(newest) + " is damaged (optimizer.safetensors does not match its SHA-256)")),
          () -> "events: " + resumed);
      assertTrue(resumed.stream().anyMatch(e -> e.hasNotice()
          && e.getNotice().getText().contains("resuming from " + folder.relativize(previous))),
          () -> "events: " + resumed);
      assertEquals(java.util.stream.IntStream.rangeClosed(1, 30).boxed().toList(),
          grpoSteps(resumed).stream().map(StepMetrics::getStep).toList());
    }
  }
}
