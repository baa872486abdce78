package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import troupe.actors.ClusterKeys;
import troupe.actors.NodeConfig;

/** Which cluster keys `troupe server` and `troupe worker` use, and `troupe cluster-keys`. */
class ClusterKeysCliTest {
  private static NodeConfig config(boolean server, String... args) throws Exception {
    CommandLine cli = new CommandLine(new TroupeCli());
    Object command = cli.parseArgs(args).subcommand().commandSpec().userObject();
    return server ? ((TroupeCli.Server) command).node.config(true) : ((TroupeCli.Worker) command).node.config(false);
  }

  @Test
  void clusterKeysCommandMakesThemOnce(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("keys");
    CliTest.Output made = CliTest.capture(() -> TroupeCli.run("cluster-keys", "--out", out.toString()));
    assertEquals(0, made.code(), made.err());
    assertTrue(made.out().contains("--cluster-keys " + out), made.out());
    ClusterKeys.load(out);
    CliTest.Output again = CliTest.capture(() -> TroupeCli.run("cluster-keys", "--out", out.toString()));
    assertEquals(1, again.code());
    assertTrue(again.err().contains("already holds cluster keys"), again.err());
  }

  @Test
  void serverMakesItsOwnKeysOnFirstStartAndKeepsThem(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    CliTest.Output first = CliTest.capture(() -> {
      try {
        assertEquals(data.resolve("auth/cluster"), config(true, "server", "--data-dir", data.toString()).clusterKeys());
        return 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(first.out().contains("copy " + data.resolve("auth/cluster") + " to every worker node"), first.out());
    String password = ClusterKeys.load(data.resolve("auth/cluster")).password();
    assertEquals(data.resolve("auth/cluster"), config(true, "server", "--data-dir", data.toString()).clusterKeys());
    assertEquals(password, ClusterKeys.load(data.resolve("auth/cluster")).password(), "the same keys next time");

    assertNull(config(true, "server", "--data-dir", dir.resolve("plain").toString(), "--insecure-cluster")
        .clusterKeys());
    assertTrue(Files.notExists(dir.resolve("plain/auth/cluster")));
  }

  @Test
  void workerNeedsKeysOrInsecure(@TempDir Path dir) throws Exception {
    var e = assertThrows(CommandLine.ParameterException.class,
        () -> config(false, "worker", "--seed-nodes", "10.0.0.1:25520", "--data-dir", dir.toString()));
    assertTrue(e.getMessage().contains("a worker needs --cluster-keys DIR"), e.getMessage());
    assertEquals(dir.resolve("k"), config(false, "worker", "--seed-nodes", "10.0.0.1:25520",
        "--cluster-keys", dir.resolve("k").toString()).clusterKeys());
    assertNull(config(false, "worker", "--seed-nodes", "10.0.0.1:25520", "--insecure-cluster").clusterKeys());
    e = assertThrows(CommandLine.ParameterException.class, () -> config(false, "worker", "--seed-nodes",
        "10.0.0.1:25520", "--insecure-cluster", "--cluster-keys", dir.toString()));
    assertTrue(e.getMessage().contains("exclude each other"), e.getMessage());
  }
}
