package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.EvalResult;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * An image workflow (flow_pretrain, then flow_grpo with its KL reference) stopped in the middle of a stage and
 * started again on the same data folder goes on from its newest resume point and ends with exactly the losses,
 * rewards and evaluations of a run that was never stopped.
 */
class ImageResumeTest {
  static final WorkflowSpec SPEC = manySteps(ResumeTest.withResumeEvery2(
      WorkflowYaml.parse(FlowGrpoWorkflowTest.TINY_IMAGES)));

  @TempDir
  static Path straightDir;
  private static List<WorkflowEvent> straight;

  /**
   * Many cheap steps: a node takes about a second to stop, and the loop runs on meanwhile; the stop must still land
   * inside the stage it was meant for.
   */
  private static WorkflowSpec manySteps(WorkflowSpec spec) {
    WorkflowSpec.Builder b = spec.toBuilder();
    b.getStagesBuilder(0).getFlowPretrainBuilder().setSteps(150).setBatchSize(8).setEvalEverySteps(50);
    b.getStagesBuilder(1).getFlowGrpoBuilder().setSteps(40).setEvalEverySteps(10);
    return b.build();
  }

  @BeforeAll
  static void runUninterrupted() throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(straightDir))) {
      straight = Workflows.run(node, SPEC, Duration.ofSeconds(120));
    }
    assertTrue(Workflows.last(straight).hasCompleted(), () -> "events: " + straight);
  }

  @Test
  void stoppedMidFlowGrpoEndsLikeAnUninterruptedRun(@TempDir Path dir) throws Exception {
    assertResumesLikeUninterrupted(dir, 1, 3); // past the stage's first point, at step 2
  }

  @Test
  void stoppedMidPretrainingEndsLikeAnUninterruptedRun(@TempDir Path dir) throws Exception {
    assertResumesLikeUninterrupted(dir, 0, 5);
  }

  private static void assertResumesLikeUninterrupted(Path dir, int stage, int stopAfter) throws Exception {
    Path folder = ResumeTest.runUntilStopped(NodeConfig.embedded(dir), SPEC, stage, stopAfter);
    assertFalse(WatchForwarder.isTerminal(Workflows.last(EventFiles.read(folder))),
        "the workflow ended before the node stopped; its stages need more steps");
    String newest = ResumeTest.newestNamedPoint(folder);
    String prefix = "resume/stage-" + stage + "-step-";
    assertTrue(newest.startsWith(prefix) && Integer.parseInt(newest.substring(prefix.length())) > 0, newest);
    try (TroupeNode restarted = TroupeNode.start(NodeConfig.embedded(dir))) {
      List<WorkflowEvent> resumed = Workflows.watch(restarted, folder.getFileName().toString(),
          Duration.ofSeconds(120));
      assertTrue(Workflows.last(resumed).hasCompleted(), () -> "events: " + resumed);
      assertTrue(resumed.stream().anyMatch(e -> e.hasNotice()
          && e.getNotice().getText().contains("resuming from " + newest)), () -> "events: " + resumed);
      for (int s = 0; s < SPEC.getStagesCount(); s++) {
        int total = Orchestrator.totalSteps(SPEC.getStages(s));
        List<StepMetrics> a = ResumeTest.steps(straight, s);
        List<StepMetrics> b = ResumeTest.steps(resumed, s);
        assertEquals(IntStream.rangeClosed(1, total).boxed().toList(),
            b.stream().map(StepMetrics::getStep).toList(), "steps of stage " + s + " once each, in order");
        for (int i = 0; i < total; i++) {
          String where = "stage " + s + " step " + (i + 1);
          assertEquals(a.get(i).getLoss(), b.get(i).getLoss(), 1e-6, "loss at " + where);
          assertEquals(a.get(i).getRewardMean(), b.get(i).getRewardMean(), 1e-6, "reward at " + where);
          assertEquals(a.get(i).getKl(), b.get(i).getKl(), 1e-6, "kl at " + where);
          assertEquals(a.get(i).getGradNorm(), b.get(i).getGradNorm(), 1e-6, "grad norm at " + where);
        }
      }
      assertEquals(evals(straight), evals(resumed));
    }
  }

  /** Every evaluation but its timing: accuracy, reward, per-check pass rates, at the same stages and steps. */
  private static List<EvalResult> evals(List<WorkflowEvent> events) {
    return events.stream().filter(WorkflowEvent::hasEval)
        .map(e -> e.getEval().toBuilder().clearElapsedSeconds().build()).toList();
  }
}
