package troupe.actors;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * How to start a cluster node: where it listens (port 0 picks a free one), which nodes to join (none: it forms its
 * own cluster), which worker roles it hosts, whether it runs the workflow manager, where workflows write, and the
 * port of its data plane (0 = any free port; other nodes learn it from each blob reference).
 */
public record NodeConfig(String host, int port, List<String> seedNodes, Set<WorkerRole> roles, boolean manager,
    Path dataDir, int dataPlanePort) {

  public NodeConfig(String host, int port, List<String> seedNodes, Set<WorkerRole> roles, boolean manager,
      Path dataDir) {
    this(host, port, seedNodes, roles, manager, dataDir, 0);
  }

  public static NodeConfig embedded(Path dataDir) {
    return new NodeConfig("127.0.0.1", 0, List.of(), Set.of(WorkerRole.values()), true, dataDir);
  }
}
