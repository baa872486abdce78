package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowState;

/**
 * The resume test with the journal in PostgreSQL instead of the H2 file. `.ci/run` starts a local PostgreSQL
 * server (`.ci/postgres`) and sets TROUPE_TEST_POSTGRES_URL; each run gets its own fresh database.
 */
class PostgresJournalTest {
  @Test
  void resumesFromAPostgresJournal(@TempDir Path dir) throws Exception {
    String server = System.getenv("TROUPE_TEST_POSTGRES_URL");
    assumeTrue(server != null, "TROUPE_TEST_POSTGRES_URL is not set (.ci/run sets it)");
    String database = "troupe_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(server)) {
      c.createStatement().execute("CREATE DATABASE " + database);
    }
    System.setProperty("troupe.journal.url", server.replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1"));
    try {
      List<WorkflowEvent> straight;
      try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir.resolve("straight")))) {
        straight = Workflows.run(node, ResumeTest.SPEC, Duration.ofSeconds(120));
      }
      Path folder = ResumeTest.runUntilStopped(dir.resolve("stopped"), 5);
      try (TroupeNode restarted = TroupeNode.start(NodeConfig.embedded(dir.resolve("stopped")))) {
        // The journal lists the finished run (another data folder, same database) as it ended.
        var listed = restarted.list().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(listed.stream().anyMatch(s -> s.getWorkflowId().equals(straight.get(0).getWorkflowId())
            && s.getState() == WorkflowState.COMPLETED), () -> "listed: " + listed);
        List<WorkflowEvent> resumed = Workflows.watch(restarted, folder.getFileName().toString(),
            Duration.ofSeconds(120));
        assertTrue(Workflows.last(resumed).hasCompleted(), () -> "events: " + resumed);
        List<StepMetrics> a = ResumeTest.grpoSteps(straight);
        List<StepMetrics> b = ResumeTest.grpoSteps(resumed);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
          assertEquals(a.get(i).getRewardMean(), b.get(i).getRewardMean(), 1e-9, "reward at step " + (i + 1));
        }
      }
    } finally {
      System.clearProperty("troupe.journal.url");
    }
  }
}
