package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * With the policy on a second node, only the loss of that node sends a workflow back to a resume point, and only
 * runtime.max_recoveries times; other failures end it as before.
 */
class RecoveryBoundsTest {
  // Long enough that it cannot end before the policy's node is gone; the test ends at the failure, so the length
  // costs nothing.
  private static final String GRPO = """
      stages:
        - grpo: {steps: 3000, prompts_per_step: 2, group_size: 2, max_new_tokens: 6}
      """;

  private static WorkflowSpec withMaxRecoveries(WorkflowSpec spec, int max) {
    return spec.toBuilder().setRuntime(spec.getRuntime().toBuilder().setResumeEverySteps(2).setMaxRecoveries(max))
        .build();
  }

  private static boolean wentBack(List<WorkflowEvent> events) {
    return events.stream().anyMatch(e -> e.hasNotice() && e.getNotice().getText().contains("resuming from"));
  }

  @Test
  @Timeout(120)
  void lossBeyondMaxRecoveriesFailsWithItsCause(@TempDir Path dir) throws Exception {
    try (TroupeNode server = RemoteResumePointTest.server(dir, "server")) {
      TroupeNode worker = RemoteResumePointTest.statefulNode(dir, "policy", server);
      String id = server.submit(withMaxRecoveries(Workflows.tiny(GRPO), 0)).toCompletableFuture().get()
          .getWorkflowId();
      server.watch(id, 0, e -> {
        if (e.hasStep() && e.getStep().getStep() == 3) {
          // A crash as the cluster sees it: the node is downed (as the Split Brain Resolver does to a node that
          // stopped answering) without leaving first, so it cannot hand its policy over (a graceful stop would,
          // see DrainTest).
          Cluster.get(server.system()).manager().tell(
              new Down(Cluster.get(worker.system()).selfMember().address()));
        }
        return true;
      });
      List<WorkflowEvent> events = Workflows.watch(server, id, Duration.ofSeconds(100));
      worker.close();
      String cause = Workflows.last(events).getFailed().getCause();
      assertTrue(cause.contains("holding the policy was lost") && cause.contains("runtime.max_recoveries (0)"),
          cause);
      assertTrue(!wentBack(events), () -> "events: " + events);
    }
  }

  @Test
  @Timeout(120)
  void otherFailuresAreNotRecovered(@TempDir Path dir) throws Exception {
    try (TroupeNode server = RemoteResumePointTest.server(dir, "server");
        TroupeNode worker = RemoteResumePointTest.statefulNode(dir, "policy", server)) {
      // A reward model file that passes validation (it exists) but is not safetensors: the reward worker fails on
      // the first step's scores, while the policy's node is fine.
      Path broken = dir.resolve("broken.safetensors");
      Files.writeString(broken, "not a safetensors file");
      WorkflowSpec spec = Workflows.tiny(GRPO);
      spec = spec.toBuilder().setReward(spec.getReward().toBuilder().setKind("model")
          .setCheckpoint(broken.toString())).build();
      List<WorkflowEvent> events = Workflows.run(server, withMaxRecoveries(spec, 3), Duration.ofSeconds(100));
      assertTrue(Workflows.last(events).hasFailed(), () -> "events: " + events);
      assertTrue(Workflows.last(events).getFailed().getCause().contains("reward"),
          () -> Workflows.last(events).getFailed().getCause());
      assertTrue(!wentBack(events), () -> "events: " + events);
    }
  }
}
