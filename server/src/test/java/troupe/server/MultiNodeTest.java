package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.ClusterKeys;
import troupe.actors.NodeConfig;
import troupe.actors.WorkerRole;
import troupe.v1.StepMetrics;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;

/**
 * Separate worker JVMs (`troupe worker`) join a server on loopback; the server hosts the policy, reference and
 * reward workers, the worker processes host the rollout workers. Real processes, real gRPC, real kill -9.
 */
class MultiNodeTest {
  private static final int PROMPTS = 4;
  private static final int GROUP = 4;

  static String workflow(int grpoSteps, int minRollouts) {
    return workflow(grpoSteps, minRollouts, 0);
  }

  /** maxSeconds > 0 stops GRPO after that much wall time instead of after the steps. */
  static String workflow(int grpoSteps, int minRollouts, int maxSeconds) {
    return """
        name: multi-node
        seed: 5
        model: {layers: 1, d_model: 32, heads: 2, d_ff: 64, max_seq_len: 16}
        task: {kind: reverse, min_digits: 3, max_digits: 4, labelled_size: 64, eval_size: 8}
        eval: {every_steps: 1000, samples_shown: 0}
        runtime: {ask_timeout_seconds: 60, worker_wait_seconds: 60}
        placement: {min_workers: {rollout: %d}}
        stages:
          - sft: {steps: 2, batch_size: 8}
          - grpo: {steps: %d, prompts_per_step: %d, group_size: %d, max_new_tokens: 6, max_seconds: %d}
        """.formatted(minRollouts, grpoSteps, PROMPTS, GROUP, maxSeconds);
  }

  /** The server in this JVM without rollout workers (by default), with its gRPC API on a free loopback port. */
  static TroupeServer server(Path dir) {
    return server(dir, EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD));
  }

  static TroupeServer server(Path dir, EnumSet<WorkerRole> roles) {
    return TroupeServer.start(new NodeConfig("127.0.0.1", 0, List.of(), roles, true, dir), "127.0.0.1", 0);
  }

  /** The server with cluster keys: Artery and the data plane over TLS, worker processes need the same keys. */
  static TroupeServer server(Path dir, Path clusterKeys) {
    return TroupeServer.start(new NodeConfig("127.0.0.1", 0, List.of(),
        EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD), true, dir)
        .withClusterKeys(clusterKeys), "127.0.0.1", 0);
  }

  /** Submits over gRPC and collects the events; {@code onEvent} sees each as it arrives. */
  static List<WorkflowEvent> run(TroupeServer server, String yaml, java.util.function.Consumer<WorkflowEvent> onEvent)
      throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      var api = WorkflowServiceGrpc.newBlockingStub(channel);
      String id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(yaml).build()).getWorkflowId();
      List<WorkflowEvent> events = new ArrayList<>();
      api.withDeadlineAfter(240, TimeUnit.SECONDS).watchWorkflow(WatchWorkflowRequest.newBuilder()
          .setWorkflowId(id).build()).forEachRemaining(e -> {
            events.add(e);
            onEvent.accept(e);
          });
      return events;
    } finally {
      channel.shutdownNow();
    }
  }

  static List<StepMetrics> grpoSteps(List<WorkflowEvent> events) {
    return events.stream().filter(e -> e.hasStep() && e.getStep().getStage().startsWith("grpo"))
        .map(WorkflowEvent::getStep).toList();
  }

  /** Nodes whose rollout workers served samples in the steps that match. */
  static Set<String> rolloutNodes(List<StepMetrics> steps, Predicate<StepMetrics> which) {
    Set<String> nodes = new TreeSet<>();
    for (StepMetrics s : steps) {
      if (which.test(s)) {
        s.getServedMap().forEach((k, v) -> {
          if (k.startsWith("rollout@") && v > 0) {
            nodes.add(k.substring("rollout@".length()));
          }
        });
      }
    }
    return nodes;
  }

  /** Every sample of every step counted once: prompts x G generated, and the nodes' shares add up to that. */
  static void assertEverySampleOnce(List<StepMetrics> steps) {
    for (StepMetrics s : steps) {
      assertEquals(PROMPTS * GROUP, s.getSamples(), () -> "step " + s.getStep() + ": " + s);
      int rollout = s.getServedMap().entrySet().stream().filter(e -> e.getKey().startsWith("rollout@"))
          .mapToInt(java.util.Map.Entry::getValue).sum();
      assertEquals(PROMPTS * GROUP, rollout, () -> "step " + s.getStep() + " served " + s.getServedMap());
    }
  }

  static boolean completed(List<WorkflowEvent> events) {
    return !events.isEmpty() && events.get(events.size() - 1).hasCompleted();
  }

  @Test
  @Timeout(300)
  void twoWorkerProcessesBothServeShards(@TempDir Path dir) throws Exception {
    // Over TLS: the worker processes are given the server's keys with --cluster-keys.
    Path keys = ClusterKeys.generate(dir.resolve("keys")).dir();
    try (TroupeServer server = server(dir, keys);
        NodeProcess a = NodeProcess.worker(dir, "worker-a", server.node().clusterAddress(), "rollout", null, keys);
        NodeProcess b = NodeProcess.worker(dir, "worker-b", server.node().clusterAddress(), "rollout,reward", null,
            keys)) {
      List<WorkflowEvent> events = run(server, workflow(4, 2), e -> { });
      assertTrue(completed(events), () -> "events: " + events);
      List<StepMetrics> steps = grpoSteps(events);
      assertEquals(4, steps.size());
      assertEverySampleOnce(steps);
      assertEquals(Set.of(a.address, b.address), rolloutNodes(steps, s -> true));
    }
  }

  /**
   * Both worker processes host a rollout and a reference worker; the orchestrator takes the first reference in
   * path order, and that node is the one killed: its rollout shards are re-issued and the stage's reference is set
   * up again on the surviving node.
   */
  @Test
  @Timeout(300)
  void killedWorkerNodeLosesNoSample(@TempDir Path dir) throws Exception {
    try (TroupeServer server = server(dir, EnumSet.of(WorkerRole.POLICY, WorkerRole.REWARD));
        NodeProcess a = NodeProcess.worker(dir, "worker-a", server.node().clusterAddress(), "rollout,reference");
        NodeProcess b = NodeProcess.worker(dir, "worker-b", server.node().clusterAddress(), "rollout,reference")) {
      NodeProcess victim = referencePath(a).compareTo(referencePath(b)) < 0 ? a : b;
      NodeProcess survivor = victim == a ? b : a;
      CompletableFuture<Integer> killedAfter = new CompletableFuture<>();
      List<WorkflowEvent> events = run(server, workflow(8, 2), e -> {
        if (e.hasStep() && e.getStep().getStage().startsWith("grpo") && e.getStep().getStep() == 2
            && !killedAfter.isDone()) {
          try {
            victim.kill();
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
          }
          killedAfter.complete(2);
        }
      });
      assertTrue(completed(events), () -> "events: " + events);
      List<StepMetrics> steps = grpoSteps(events);
      assertEquals(8, steps.size());
      assertEverySampleOnce(steps);
      assertTrue(events.stream().anyMatch(e -> e.hasNotice() && e.getNotice().getText().contains(victim.address)
          && e.getNotice().getText().contains("unreachable")), () -> "no event names the lost node " + victim.address);
      assertTrue(events.stream().anyMatch(e -> e.hasNotice()
          && e.getNotice().getText().startsWith("reference worker pekko://troupe@" + victim.address)),
          () -> "the reference was not replaced: " + events.stream().filter(WorkflowEvent::hasNotice).toList());
      assertEquals(Set.of(survivor.address), rolloutNodes(steps, s -> s.getStep() > 3),
          "after the kill only the surviving node serves");
    }
  }

  private static String referencePath(NodeProcess w) {
    return "pekko://troupe@" + w.address + "/user/reference-0";
  }

  @Test
  @Timeout(300)
  void workerJoiningMidRunServesFromTheNextStep(@TempDir Path dir) throws Exception {
    try (TroupeServer server = server(dir);
        NodeProcess a = NodeProcess.worker(dir, "worker-a", server.node().clusterAddress(), "rollout")) {
      // Started from another thread once GRPO has taken two steps; the stage runs for 30 s of wall time.
      CompletableFuture<NodeProcess> late = new CompletableFuture<>();
      List<WorkflowEvent> events = run(server, workflow(100_000, 1, 30), e -> {
        if (e.hasStep() && e.getStep().getStage().startsWith("grpo") && e.getStep().getStep() == 2) {
          new Thread(() -> {
            try {
              late.complete(NodeProcess.worker(dir, "worker-late", server.node().clusterAddress(), "rollout"));
            } catch (Exception failure) {
              late.completeExceptionally(failure);
            }
          }).start();
        }
      });
      try {
        assertTrue(completed(events), () -> "events: " + events);
        List<StepMetrics> steps = grpoSteps(events);
        assertEverySampleOnce(steps);
        String joined = late.get(60, TimeUnit.SECONDS).address;
        assertEquals(Set.of(a.address), rolloutNodes(steps, s -> s.getStep() <= 2), "before the join");
        assertTrue(rolloutNodes(steps, s -> s.getStep() > 2).contains(joined),
            () -> "the late worker " + joined + " never served: "
                + steps.stream().map(StepMetrics::getServedMap).toList());
      } finally {
        late.get(60, TimeUnit.SECONDS).close();
      }
    }
  }
}
