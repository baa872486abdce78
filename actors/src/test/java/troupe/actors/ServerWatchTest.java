package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.WorkflowSpec;

/**
 * A worker node whose server stops in the middle of a workflow stops too (so that `troupe worker` can join the next
 * server with a fresh node), and frees the policy and critic it held for the unfinished workflow.
 */
class ServerWatchTest {
  @Test
  @Timeout(120)
  void aWorkerNodeStopsWithItsServerAndFreesWhatItHeld(@TempDir Path dir) throws Exception {
    WorkflowSpec spec = Workflows.tiny("stages:\n  - grpo: {steps: 3000, prompts_per_step: 2, group_size: 2, "
        + "max_new_tokens: 6}\n");
    TroupeNode server = RemoteResumePointTest.server(dir, "server");
    try (TroupeNode worker = RemoteResumePointTest.statefulNode(dir, "policy", server)) {
      try {
        String id = server.submit(spec).toCompletableFuture().get(10, TimeUnit.SECONDS).getWorkflowId();
        CompletableFuture<Void> stepped = new CompletableFuture<>();
        server.watch(id, 0, e -> {
          if (e.hasStep() && e.getStep().getStep() == 3) {
            stepped.complete(null);
          }
          return true;
        });
        stepped.get(60, TimeUnit.SECONDS);
        assertTrue(worker.holdsWorkflowState(), "the policy lives on the worker node");
      } finally {
        server.close(); // the workflow stays unfinished: nobody releases its policy
      }
      // No close() of the worker here: it stops by itself.
      worker.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertFalse(worker.holdsWorkflowState(), "the stopped node still holds the policy's model");
    }
  }
}
