package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.WorkerRole;
import troupe.v1.StepMetrics;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;

/**
 * The policy lives in one of two `troupe worker` processes, never on the server; that process is killed (kill -9) in
 * the middle of GRPO. The workflow goes back to its newest resume point with a new policy in the other process and
 * completes: each GRPO step once in its history, with the metrics of a run that lost nothing. Stopped gracefully
 * instead, the process hands the policy over and no step is done twice.
 */
class PolicyNodeLossTest {
  private static final int STEPS = 8;
  private static final int KILL_AFTER = 5;
  private static final String WORKFLOW = workflow(STEPS, "resume_every_steps: 2");

  private static String workflow(int steps, String runtime) {
    return """
        name: policy-node-loss
        seed: 5
        model: {layers: 1, d_model: 32, heads: 2, d_ff: 64, max_seq_len: 16}
        task: {kind: reverse, min_digits: 3, max_digits: 4, labelled_size: 64, eval_size: 8}
        eval: {every_steps: 4, samples_shown: 0}
        runtime: {ask_timeout_seconds: 60, worker_wait_seconds: 60, %s}
        stages:
          - sft: {steps: 2, batch_size: 8}
          - grpo: {steps: %d, prompts_per_step: 4, group_size: 4, max_new_tokens: 6}
        """.formatted(runtime, steps);
  }

  @Test
  @Timeout(300)
  void lostPolicyNodeGoesBackToTheNewestResumePoint(@TempDir Path dir) throws Exception {
    Disturbed run = runDisturbed(dir, WORKFLOW, KILL_AFTER, victim -> {
      try {
        victim.kill();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
    });
    List<WorkflowEvent> history = run.history();
    assertTrue(history.stream().anyMatch(e -> e.hasNotice() && e.getNotice().getText().startsWith(
        "the node " + run.policyNode() + " holding the policy was lost (recovery 1 of 3); resuming from "
            + "resume/stage-1-step-4 ")), () -> "notices: " + history.stream().filter(WorkflowEvent::hasNotice)
        .toList());
    for (int i = 0; i < history.size(); i++) {
      assertEquals(i + 1, history.get(i).getSeq(), "event numbers stay gapless");
    }
    List<StepMetrics> expected = ServerRestartTest.grpo(run.straight());
    List<StepMetrics> got = assertSameSteps(expected, ServerRestartTest.grpo(history), STEPS);
    for (int i = 0; i < STEPS; i++) {
      assertEquals(expected.get(i).getKl(), got.get(i).getKl(), 1e-6, "kl at step " + (i + 1));
      assertEquals(expected.get(i).getGradNorm(), got.get(i).getGradNorm(), 1e-6, "grad norm at step " + (i + 1));
    }
    assertEquals(evals(run.straight()), evals(history));
  }

  /**
   * The same with SIGTERM instead of kill -9: the worker process drains, so the workflow moves its policy to the
   * other process from a point saved at the step it was at, with no recovery used (max_recoveries: 0) and no other
   * point to fall back on (resume_every_steps: 1000); the process then exits by itself.
   */
  @Test
  @Timeout(300)
  void stoppedPolicyNodeHandsThePolicyOver(@TempDir Path dir) throws Exception {
    // Stopped at step 3 of 40: the leave reaches the server within a few steps, well before the stage's end.
    int steps = 40;
    Disturbed run = runDisturbed(dir, workflow(steps, "resume_every_steps: 1000, max_recoveries: 0"), 3,
        leaving -> leaving.process.destroy()); // SIGTERM: the JVM's shutdown hook runs the coordinated shutdown
    assertTrue(run.exitedBySelf(), "the drained process did not exit");
    assertTrue(run.history().stream().anyMatch(e -> e.hasNotice() && e.getNotice().getText().startsWith(
        "the node " + run.policyNode() + " holding the policy is leaving; moved the policy to another node; "
            + "resuming from resume/stage-1-step-")), () -> "notices: " + run.history().stream()
        .filter(WorkflowEvent::hasNotice).toList());
    assertSameSteps(ServerRestartTest.grpo(run.straight()), ServerRestartTest.grpo(run.history()), steps);
  }

  /**
   * An undisturbed run's events; the history of a second run whose policy process was disturbed after GRPO step
   * {@code at}, read after it ended; that process's cluster address; whether it had exited (within 60 s).
   */
  private record Disturbed(List<WorkflowEvent> straight, List<WorkflowEvent> history, String policyNode,
      boolean exitedBySelf) {}

  /**
   * Runs the workflow twice on a server without a policy and two `troupe worker` processes with one each; in the
   * second run the process holding the policy (the orchestrator takes the first in path order) is handed to
   * {@code disturb} once GRPO step {@code at} is reported. Both runs must complete.
   */
  private static Disturbed runDisturbed(Path dir, String workflow, int at, Consumer<NodeProcess> disturb)
      throws Exception {
    try (TroupeServer server = MultiNodeTest.server(dir,
            EnumSet.of(WorkerRole.ROLLOUT, WorkerRole.REFERENCE, WorkerRole.REWARD));
        NodeProcess a = NodeProcess.worker(dir, "worker-a", server.node().clusterAddress(), "policy");
        NodeProcess b = NodeProcess.worker(dir, "worker-b", server.node().clusterAddress(), "policy")) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      var api = WorkflowServiceGrpc.newBlockingStub(channel);
      NodeProcess holder = policyPath(a).compareTo(policyPath(b)) < 0 ? a : b;

      List<WorkflowEvent> straight = watch(api, submit(api, workflow), e -> { });
      assertTrue(straight.get(straight.size() - 1).hasCompleted(), () -> "events: " + straight);

      String id = submit(api, workflow);
      List<WorkflowEvent> live = watch(api, id, e -> {
        if (e.hasStep() && e.getStep().getStageIndex() == 1 && e.getStep().getStep() == at
            && holder.process.isAlive()) {
          disturb.accept(holder);
        }
      });
      assertTrue(live.get(live.size() - 1).hasCompleted(), () -> "events: " + live);
      boolean exited = holder.process.waitFor(60, TimeUnit.SECONDS);
      List<WorkflowEvent> history = watch(api, id, e -> { });
      channel.shutdownNow();
      return new Disturbed(straight, history, holder.address, exited);
    }
  }

  /** GRPO steps 1..steps once each, with the undisturbed run's rewards and losses; returns the disturbed steps. */
  private static List<StepMetrics> assertSameSteps(List<StepMetrics> expected, List<StepMetrics> got, int steps) {
    assertEquals(IntStream.rangeClosed(1, steps).boxed().toList(), got.stream().map(StepMetrics::getStep).toList());
    // One libtorch thread per process and the same seeds: the new policy process computes the same numbers.
    for (int i = 0; i < steps; i++) {
      assertEquals(expected.get(i).getRewardMean(), got.get(i).getRewardMean(), 1e-6, "reward at step " + (i + 1));
      assertEquals(expected.get(i).getLoss(), got.get(i).getLoss(), 1e-6, "loss at step " + (i + 1));
    }
    return got;
  }

  private static String policyPath(NodeProcess w) {
    return "pekko://troupe@" + w.address + "/user/policy-0";
  }

  private static String submit(WorkflowServiceGrpc.WorkflowServiceBlockingStub api, String workflow) {
    return api.submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(workflow).build()).getWorkflowId();
  }

  /** Every event from the first on, until the workflow ended; {@code onEvent} sees each as it arrives. */
  private static List<WorkflowEvent> watch(WorkflowServiceGrpc.WorkflowServiceBlockingStub api, String id,
      Consumer<WorkflowEvent> onEvent) {
    List<WorkflowEvent> events = new ArrayList<>();
    api.withDeadlineAfter(200, TimeUnit.SECONDS).watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id)
        .build()).forEachRemaining(e -> {
          events.add(e);
          onEvent.accept(e);
        });
    return events;
  }

  private static List<Double> evals(List<WorkflowEvent> events) {
    return events.stream().filter(WorkflowEvent::hasEval).map(e -> e.getEval().getAccuracy()).toList();
  }
}
