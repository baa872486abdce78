package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.WorkflowEvent;

/** Two cluster nodes in one JVM: the only rollout worker lives on the second node and serves the first's workflow. */
class TwoNodeClusterTest {
  @Test
  void rolloutWorkerOnSecondNodeServesTheOrchestrator(@TempDir Path dir) throws Exception {
    NodeConfig serverConfig = new NodeConfig("127.0.0.1", 0, List.of(),
        EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD), true, dir);
    try (TroupeNode server = TroupeNode.start(serverConfig)) {
      NodeConfig workerConfig = new NodeConfig("127.0.0.1", 0, List.of(server.clusterAddress()),
          EnumSet.of(WorkerRole.ROLLOUT), false, dir);
      try (TroupeNode worker = TroupeNode.start(workerConfig)) {
        List<WorkflowEvent> events = Workflows.run(server, Workflows.tiny("""
            stages:
              - sft: {steps: 3, batch_size: 8}
              - grpo: {steps: 2, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
            """), Duration.ofSeconds(120));
        assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + events);

        List<ActorRef<WorkerAsk>> rollouts = server.directory().workers(WorkerRole.ROLLOUT);
        assertEquals(1, rollouts.size());
        String remote = rollouts.get(0).path().address().toString();
        assertTrue(remote.endsWith(worker.clusterAddress()), remote + " is not the second node");
        long grpoSteps = events.stream().filter(e -> e.hasStep() && e.getStep().getStage().startsWith("grpo")).count();
        assertEquals(2, grpoSteps);
      }
    }
  }
}
