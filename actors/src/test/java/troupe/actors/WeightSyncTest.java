package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.WorkflowEvent;

/**
 * Weights travel over the data plane: the rollout worker on the second node fetches each new policy version from
 * the policy's node in checked chunks, a corrupted chunk is fetched again, and generation only ever runs with the
 * version the orchestrator asked for (the rollout worker refuses any other).
 */
class WeightSyncTest {
  @Test
  void corruptedChunkIsRefetchedAndRolloutsRunAtThePolicyVersion(@TempDir Path dir) throws Exception {
    NodeConfig serverConfig = new NodeConfig("127.0.0.1", 0, List.of(),
        EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD), true, dir);
    try (TroupeNode server = TroupeNode.start(serverConfig);
        TroupeNode worker = TroupeNode.start(new NodeConfig("127.0.0.1", 0, List.of(server.clusterAddress()),
            EnumSet.of(WorkerRole.ROLLOUT), false, dir))) {
      String id = server.submit(Workflows.tiny("""
          stages:
            - sft: {steps: 3, batch_size: 8}
            - grpo: {steps: 3, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
          """)).toCompletableFuture().get(10, TimeUnit.SECONDS).getWorkflowId();
      // The first export comes at the GRPO stage, after SFT: the first send of its only chunk is corrupted.
      server.dataPlane().server().corruptChunkOnce(NodeDataPlane.weightsKey(id), 0);
      List<WorkflowEvent> events = Workflows.watch(server, id, Duration.ofSeconds(120));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + events);

      assertEquals(1, worker.dataPlane().refetchedChunks(), "the corrupted chunk was detected and fetched again");
      assertTrue(worker.dataPlane().fetchedBytes() > 0, "weights came over the data plane");
      assertEquals(0, server.dataPlane().fetchedBytes(), "nothing flowed back");
      long grpoSteps = events.stream().filter(e -> e.hasStep() && e.getStep().getStage().startsWith("grpo")).count();
      assertEquals(3, grpoSteps);
    }
  }

  @Test
  void policyOnAnotherNodeKeepsItsCheckpointsInTheServersFolder(@TempDir Path dir) throws Exception {
    Path serverData = Files.createDirectories(dir.resolve("server"));
    Path workerData = Files.createDirectories(dir.resolve("worker"));
    try (TroupeNode server = TroupeNode.start(new NodeConfig("127.0.0.1", 0, List.of(),
            EnumSet.of(WorkerRole.REWARD), true, serverData));
        TroupeNode worker = TroupeNode.start(new NodeConfig("127.0.0.1", 0, List.of(server.clusterAddress()),
            EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.ROLLOUT), false, workerData))) {
      List<WorkflowEvent> events = Workflows.run(server, Workflows.tiny("""
          stages:
            - sft: {steps: 3, batch_size: 8}
            - grpo: {steps: 2, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
          """), Duration.ofSeconds(120));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + events);
      List<WorkflowEvent> checkpoints = events.stream().filter(WorkflowEvent::hasCheckpoint).toList();
      assertEquals(2, checkpoints.size());
      for (WorkflowEvent c : checkpoints) {
        Path file = Path.of(c.getCheckpoint().getPath());
        assertTrue(file.startsWith(serverData) && Files.size(file) > 1000, file.toString());
      }
      assertTrue(server.dataPlane().fetchedBytes() > 0, "the checkpoints came over the data plane");
      assertEquals(0, worker.dataPlane().fetchedBytes(), "rollout and reference share the policy's node: in memory");
    }
  }

  @Test
  void imageTrajectoriesFromAnotherNodeComeOverTheDataPlane(@TempDir Path dir) throws Exception {
    try (TroupeNode server = TroupeNode.start(new NodeConfig("127.0.0.1", 0, List.of(),
            EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD), true, dir));
        TroupeNode worker = TroupeNode.start(new NodeConfig("127.0.0.1", 0, List.of(server.clusterAddress()),
            EnumSet.of(WorkerRole.ROLLOUT), false, dir))) {
      var spec = troupe.trainers.spec.WorkflowYaml.parse(FlowGrpoWorkflowTest.TINY_IMAGES.replace(
          "flow_pretrain: {steps: 12", "flow_pretrain: {steps: 2"));
      List<WorkflowEvent> events = Workflows.run(server, spec, Duration.ofMinutes(3));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "last event: " + Workflows.last(events));
      // Each Flow-GRPO step samples 2 prompts x 4 trajectories of 5 images of 3 x 16 x 16 floats on the worker node.
      assertTrue(server.dataPlane().fetchedBytes() > 3 * 8 * 5 * 3 * 16 * 16 * 4L,
          () -> "fetched " + server.dataPlane().fetchedBytes() + " bytes");
      assertTrue(worker.dataPlane().fetchedBytes() > 0, "the rollout worker fetched the policy's weights");
    }
  }
}
