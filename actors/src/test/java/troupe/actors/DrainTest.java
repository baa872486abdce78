package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * The node holding a workflow's policy (and PPO's critic) stops gracefully mid-stage: the workflow moves them to
 * another node from a point saved at that very step, loses no step, uses no recovery (max_recoveries is 0 and the
 * regular points are too far apart to help), ends with the metrics of a run that was never disturbed, and the
 * leaving node stops soon after.
 */
class DrainTest {
  // Far more steps than pass while the node's leave reaches the server's Receptionist (a second or two): the move
  // must happen in the middle of the stage.
  private static final int STEPS = 200;
  private static final WorkflowSpec SPEC = spec("grpo: {steps: " + STEPS
      + ", prompts_per_step: 2, group_size: 2, max_new_tokens: 6}");

  /** One stage; points too far apart to help and no recovery: only a hand-over lets the workflow go on. */
  private static WorkflowSpec spec(String stage) {
    WorkflowSpec spec = Workflows.tiny("stages:\n  - " + stage + "\n");
    return spec.toBuilder().setRuntime(spec.getRuntime().toBuilder().setResumeEverySteps(1000).setMaxRecoveries(0))
        .build();
  }

  @Test
  @Timeout(400)
  void aLeavingPolicyNodeHandsThePolicyOverWithoutLosingAStep(@TempDir Path dir) throws Exception {
    assertHandsOver(dir, SPEC, STEPS);
  }

  /** PPO: the critic (value model and its optimizer) lives on the leaving node too and moves with the policy. */
  @Test
  @Timeout(400)
  void aLeavingNodeHandsThePpoCriticOverToo(@TempDir Path dir) throws Exception {
    int steps = 100;
    // wrong: -1, so the untrained policy's returns are not all 0 and the critic has something to learn
    List<StepMetrics> got = assertHandsOver(dir, spec("ppo: {steps: " + steps + ", prompts_per_step: 2, "
        + "group_size: 2, max_new_tokens: 6, reward: {kind: exact_match, wrong: -1}}"), steps);
    assertTrue(got.stream().allMatch(s -> s.getValueLoss() > 0), () -> "the critic did not train: " + got.get(0));
  }

  /**
   * Runs the spec undisturbed, then again with the policy's node A closed at step 3 (B, which joined at step 1,
   * takes over); checks the hand-over and that steps 1..total ran once each with the undisturbed metrics. Returns
   * the disturbed run's steps.
   */
  private static List<StepMetrics> assertHandsOver(Path dir, WorkflowSpec spec, int steps) throws Exception {
    List<WorkflowEvent> straight;
    try (TroupeNode server = RemoteResumePointTest.server(dir, "straight");
        TroupeNode worker = RemoteResumePointTest.statefulNode(dir, "straight", server)) {
      straight = Workflows.run(server, spec, Duration.ofSeconds(150));
    }
    assertTrue(Workflows.last(straight).hasCompleted(), () -> "events: " + straight);

    List<WorkflowEvent> history;
    long closeMillis;
    String leaving;
    try (TroupeNode server = RemoteResumePointTest.server(dir, "drained")) {
      // Only A is there when the workflow picks its policy; B joins later and takes it over when A leaves.
      TroupeNode a = RemoteResumePointTest.statefulNode(dir, "a", server);
      leaving = a.clusterAddress();
      CompletableFuture<TroupeNode> b = new CompletableFuture<>();
      AtomicReference<CompletableFuture<Long>> closed = new AtomicReference<>();
      String id = server.submit(spec).toCompletableFuture().get(10, TimeUnit.SECONDS).getWorkflowId();
      server.watch(id, 0, e -> {
        // Not on the watcher's thread: starting and stopping nodes takes seconds.
        if (e.hasStep() && e.getStep().getStep() == 1 && !b.isDone()) {
          CompletableFuture.runAsync(() -> b.complete(RemoteResumePointTest.statefulNode(dir, "b", server)));
        }
        if (e.hasStep() && e.getStep().getStep() == 3 && closed.get() == null) { // watcher calls come in turn
          closed.set(closeTimed(a));
        }
        return true;
      });
      try {
        Workflows.watch(server, id, Duration.ofSeconds(200));
        history = Workflows.watch(server, id, Duration.ofSeconds(10)); // the kept history, read after the end
        closeMillis = closed.get().get(150, TimeUnit.SECONDS);
      } finally {
        b.get(60, TimeUnit.SECONDS).close();
        a.close();
      }
    }
    assertTrue(Workflows.last(history).hasCompleted(), () -> "events: " + history);
    assertTrue(history.stream().anyMatch(e -> e.hasNotice()
        && e.getNotice().getText().contains("the node " + leaving + " holding the policy is leaving")),
        () -> "events: " + history);
    List<StepMetrics> a = ResumeTest.steps(straight, 0);
    List<StepMetrics> b = ResumeTest.steps(history, 0);
    assertEquals(IntStream.rangeClosed(1, steps).boxed().toList(), b.stream().map(StepMetrics::getStep).toList());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).getLoss(), b.get(i).getLoss(), 1e-6, "loss at step " + (i + 1));
      assertEquals(a.get(i).getRewardMean(), b.get(i).getRewardMean(), 1e-6, "reward at step " + (i + 1));
      assertEquals(a.get(i).getValueLoss(), b.get(i).getValueLoss(), 1e-6, "value loss at step " + (i + 1));
    }
    // The node waited for the hand-over only, far from the drain timeout (troupe.drain-timeout = 120 s).
    assertTrue(closeMillis < 120_000, closeMillis + " ms");
    return b;
  }

  @Test
  @Timeout(200)
  void withNoOtherNodeForThePolicyTheWorkflowFailsNamingTheRole(@TempDir Path dir) throws Exception {
    WorkflowSpec spec = SPEC.toBuilder().setRuntime(SPEC.getRuntime().toBuilder().setWorkerWaitSeconds(3)).build();
    try (TroupeNode server = RemoteResumePointTest.server(dir, "alone")) {
      TroupeNode a = RemoteResumePointTest.statefulNode(dir, "a", server);
      AtomicReference<CompletableFuture<Long>> closed = new AtomicReference<>();
      String id = server.submit(spec).toCompletableFuture().get(10, TimeUnit.SECONDS).getWorkflowId();
      server.watch(id, 0, e -> {
        if (e.hasStep() && e.getStep().getStep() == 3 && closed.get() == null) { // watcher calls come in turn
          closed.set(closeTimed(a));
        }
        return true;
      });
      List<WorkflowEvent> events;
      try {
        events = Workflows.watch(server, id, Duration.ofSeconds(150));
      } finally {
        a.close();
      }
      String cause = Workflows.last(events).getFailed().getCause();
      assertTrue(cause.contains("waited 3 s for 1 policy worker(s)"), () -> "events: " + events);
      assertTrue(events.stream().anyMatch(e -> e.hasNotice() && e.getNotice().getText().contains("is leaving")),
          () -> "events: " + events);
      assertTrue(closed.get().get(150, TimeUnit.SECONDS) < 120_000); // released at the move, not held to the timeout
    }
  }

  /** Closes the node on another thread (the watcher's must not block) and tells how long that took, in ms. */
  private static CompletableFuture<Long> closeTimed(TroupeNode node) {
    return CompletableFuture.supplyAsync(() -> {
      long started = System.nanoTime();
      node.close();
      return (System.nanoTime() - started) / 1_000_000;
    });
  }
}
