package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkerError;
import troupe.v1.WorkerResponse;
import troupe.v1.WorkflowEvent;

/** A rollout worker that takes its model and weights but fails every generation: its shards go to the other one. */
class ShardReissueTest {
  @Test
  void failedShardsAreReissuedAndEverySampleCountedOnce(@TempDir Path dir) throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir))) {
      ActorRef<WorkerAsk> broken = node.system().systemActorOf(Behaviors.receiveMessage(ask -> {
        WorkerResponse.Builder r = ask.request().hasGenerate()
            ? WorkerResponse.newBuilder().setError(WorkerError.newBuilder().setMessage("generate: out of memory"))
            : Workers.ack(ask.request().getLoadWeights().getWeights().getVersion());
        ask.replyTo().tell(r.setWorker("broken-rollout").build());
        return Behaviors.same();
      }), "broken-rollout", Props.empty());
      node.system().receptionist().tell(Receptionist.register(WorkerRole.ROLLOUT.key, broken));
      var spec = Workflows.tiny("""
          placement: {min_workers: {rollout: 2}}
          stages:
            - grpo: {steps: 3, prompts_per_step: 4, group_size: 2, max_new_tokens: 6}
          """);
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofSeconds(120));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + events);
      List<StepMetrics> steps = events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep).toList();
      assertEquals(3, steps.size());
      for (StepMetrics s : steps) {
        assertEquals(8, s.getSamples());
        assertTrue(s.getReissuedShards() >= 1, () -> "step " + s.getStep() + " re-issued nothing: " + s);
        assertEquals(8, s.getServedOrThrow("rollout@" + node.clusterAddress()));
      }
      assertTrue(events.stream().anyMatch(e -> e.hasNotice()
          && e.getNotice().getText().contains("re-issued rollout shard")
          && e.getNotice().getText().contains("generate: out of memory")), "a notice says why");
    }
  }
}
