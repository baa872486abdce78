package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;
import troupe.v1.WorkflowEvent;

/**
 * 20 tiny workflows submitted at once and 50 watchers over them (early, late, and hanging up to resume with
 * after_seq), on a real loopback port with a token: every watcher gets every event of its workflow, in order.
 * The delivery latency is printed, not asserted: it depends on the machine.
 */
class LoadTest {
  @Test
  @Timeout(180)
  void everyWatcherGetsEveryEventInOrder(@TempDir Path dir) throws Exception {
    int workflows = 20;
    try (TroupeServer server = TroupeServer.start(NodeConfig.embedded(dir), "127.0.0.1", 0,
        ServerSecurity.token(BearerToken.random()), ServerLimits.DEFAULTS.withMaxWorkflows(workflows))) {
      LoadRun.Result result = LoadRun.run(() -> TroupeClient.of(server), workflows, 50, Duration.ofSeconds(150));
      System.out.println("load: " + result.json());

      assertEquals(List.of(), result.problems());
      assertEquals(workflows, result.events().size());
      for (List<WorkflowEvent> events : result.events().values()) {
        assertTrue(events.get(events.size() - 1).hasCompleted(), () -> "ended with " + events.get(events.size() - 1));
        for (int i = 0; i < events.size(); i++) {
          assertEquals(i + 1, events.get(i).getSeq());
        }
      }
      assertEquals(50, result.watchers().size());
      assertTrue(result.watchers().stream().anyMatch(w -> w.kind().startsWith("resume")));
      assertTrue(result.latencies().size() > 0, "some events were delivered live");
    }
  }
}
