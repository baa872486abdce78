package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.WorkflowEvent;

/** A worker that fails or goes silent ends the workflow as failed, naming the worker and the cause; no hang. */
class WorkerFailureTest {
  private static final String ONE_GRPO_STEP = """
      stages:
        - grpo: {steps: 1, prompts_per_step: 2, group_size: 2, max_new_tokens: 6}
      """;

  @Test
  void silentRolloutWorkerTimesOut(@TempDir Path dir) throws Exception {
    NodeConfig config = new NodeConfig("127.0.0.1", 0, List.of(),
        EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD), true, dir);
    try (TroupeNode node = TroupeNode.start(config)) {
      // A rollout worker that registers and then never answers: a hung process, as far as the orchestrator can tell.
      ActorRef<WorkerAsk> silent = node.system().systemActorOf(Behaviors.<WorkerAsk>ignore(), "silent-rollout",
          org.apache.pekko.actor.typed.Props.empty());
      node.system().receptionist().tell(Receptionist.register(WorkerRole.ROLLOUT.key, silent));
      var spec = Workflows.tiny(ONE_GRPO_STEP + "\n");
      spec = spec.toBuilder().setRuntime(spec.getRuntime().toBuilder().setAskTimeoutSeconds(2)).build();
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofSeconds(60));
      WorkflowEvent end = Workflows.last(events);
      assertTrue(end.hasFailed(), () -> "events: " + events);
      String cause = end.getFailed().getCause();
      assertTrue(cause.contains("silent-rollout") && cause.contains("did not answer init_model within 2 s"), cause);
    }
  }

  @Test
  void missingRoleFailsAfterTheWaitWithAHint(@TempDir Path dir) throws Exception {
    NodeConfig config = new NodeConfig("127.0.0.1", 0, List.of(),
        EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD), true, dir);
    try (TroupeNode node = TroupeNode.start(config)) {
      var spec = Workflows.tiny(ONE_GRPO_STEP);
      spec = spec.toBuilder().setRuntime(spec.getRuntime().toBuilder().setWorkerWaitSeconds(1)).build();
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofSeconds(60));
      String cause = Workflows.last(events).getFailed().getCause();
      assertTrue(cause.contains("waited 1 s for 1 rollout worker(s), found 0")
          && cause.contains("troupe worker --roles rollout"), cause);
    }
  }

  @Test
  void workerErrorIsReportedWithItsName(@TempDir Path dir) throws Exception {
    NodeConfig config = NodeConfig.embedded(dir);
    try (TroupeNode node = TroupeNode.start(config)) {
      // A checkpoint file that passes validation (it exists) but is not safetensors: the policy worker reports it.
      Path missing = config.inputsDir().resolve("broken.safetensors");
      java.nio.file.Files.writeString(missing, "not a safetensors file");
      var spec = Workflows.tiny(ONE_GRPO_STEP);
      spec = spec.toBuilder().setModel(spec.getModel().toBuilder().setInitCheckpoint(missing.toString())).build();
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofSeconds(60));
      String cause = Workflows.last(events).getFailed().getCause();
      assertTrue(cause.contains("/user/policy-0 reported: init_model:"), cause);
    }
  }
}
