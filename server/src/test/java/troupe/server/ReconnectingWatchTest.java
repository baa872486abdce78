package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;
import troupe.v1.WorkflowEvent;

/**
 * A watcher that loses its server in the middle of GRPO waits for it to come back on the same port and ends up with
 * exactly the history the server keeps: what it saw before, the events the resumed workflow produced again, and
 * the live events to the end.
 */
class ReconnectingWatchTest {
  @Test
  @Timeout(240)
  void watcherFollowsTheWorkflowAcrossAServerRestart(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    TroupeServer first = TroupeServer.start(NodeConfig.embedded(dir), "127.0.0.1", port);
    List<WorkflowEvent> seen = new ArrayList<>(); // the watcher's view: an event replaces those from its number on
    List<String> said = new ArrayList<>();
    CompletableFuture<Void> reachedStep6 = new CompletableFuture<>();
    String id;
    try (TroupeClient client = new TroupeClient("127.0.0.1:" + port, ClientSecurity.NONE)) {
      id = client.submitYaml(ServerRestartTest.WORKFLOW);
      CompletableFuture<Integer> watched = CompletableFuture.supplyAsync(() -> {
        ReconnectingWatch watch = new ReconnectingWatch(client, id, Duration.ofSeconds(120), text -> {
          synchronized (said) {
            said.add(text);
          }
        });
        try {
          watch.follow(e -> {
            seen.subList((int) e.getSeq() - 1, seen.size()).clear();
            seen.add(e);
            if (e.hasStep() && e.getStep().getStageIndex() == 1 && e.getStep().getStep() == 6) {
              reachedStep6.complete(null);
            }
          });
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        return seen.size();
      });
      reachedStep6.get(120, TimeUnit.SECONDS);
      first.close();
      try (TroupeServer second = TroupeServer.start(NodeConfig.embedded(dir), "127.0.0.1", port)) {
        watched.get(180, TimeUnit.SECONDS);
        assertTrue(seen.get(seen.size() - 1).hasCompleted(), () -> "events: " + seen);
        assertTrue(said.stream().anyMatch(s -> s.startsWith("lost the connection to the server")), said::toString);
        List<WorkflowEvent> history = new ArrayList<>();
        client.watch(id).forEachRemaining(history::add);
        assertEquals(history, seen);
        assertTrue(history.stream().anyMatch(e -> e.hasNotice()
            && e.getNotice().getText().startsWith("the server restarted; resuming from")), () -> "events: " + history);
      }
    } finally {
      first.close();
    }
  }
}
