package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import troupe.actors.NodeConfig;
import troupe.actors.WorkerRole;

/** `--node-config FILE` fills what the flags do not say; a flag on the command line wins. */
class NodeConfigFileTest {
  private static TroupeCli.NodeOptions parsed(String... args) {
    CommandLine cli = new CommandLine(new TroupeCli());
    CommandLine.ParseResult result = cli.parseArgs(args);
    return ((TroupeCli.Worker) result.subcommand().commandSpec().userObject()).node;
  }

  @Test
  void fileFillsOptionsAndFlagsWin(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, """
        host: 10.0.0.7
        cluster_port: 2600
        seed_nodes: [10.0.0.1:25520, 10.0.0.2:25520]
        roles: [rollout, reward]
        data_dir: /srv/troupe
        cluster_keys: /srv/troupe-keys
        """);
    NodeConfig c = parsed("worker", "--node-config", file.toString(), "--cluster-port", "2700").config(false);
    assertEquals("10.0.0.7", c.host());
    assertEquals(2700, c.port());
    assertEquals(List.of("10.0.0.1:25520", "10.0.0.2:25520"), c.seedNodes());
    assertEquals(Set.of(WorkerRole.ROLLOUT, WorkerRole.REWARD), c.roles());
    assertEquals(Path.of("/srv/troupe"), c.dataDir());
    assertEquals(Path.of("/srv/troupe-keys"), c.clusterKeys());
  }

  @Test
  void badFilesAreNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, "hosts: 10.0.0.7\n");
    var e = assertThrows(CommandLine.ParameterException.class,
        () -> parsed("worker", "--node-config", file.toString()).config(false));
    assertTrue(e.getMessage().contains("unknown key \"hosts\"; allowed: host, cluster_port, data_plane_port"),
        e.getMessage());
    Files.writeString(file, "cluster_port: many\n");
    e = assertThrows(CommandLine.ParameterException.class,
        () -> parsed("worker", "--node-config", file.toString()).config(false));
    assertTrue(e.getMessage().contains("cluster_port must be an integer, got many"), e.getMessage());
    Files.writeString(file, "roles: [rollout, judge]\n");
    var unknown = assertThrows(IllegalArgumentException.class,
        () -> parsed("worker", "--node-config", file.toString()).config(false));
    assertTrue(unknown.getMessage().contains("unknown role \"judge\""), unknown.getMessage());
  }
}
