package troupe.actors;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * How to start a cluster node: where it listens (port 0 picks a free one), which nodes to join (none: it forms its
 * own cluster), which worker roles it hosts, whether it runs the workflow manager, where workflows write, the port
 * of its data plane (0 = any free port; other nodes learn it from each blob reference), and the folder of the
 * {@link ClusterKeys} (null = plain TCP between nodes, for a single JVM; with keys, Artery and the data plane use TLS
 * with mutual authentication and only nodes holding the same keys can join).
 */
public record NodeConfig(String host, int port, List<String> seedNodes, Set<WorkerRole> roles, boolean manager,
    Path dataDir, int dataPlanePort, Path clusterKeys) {

  public NodeConfig(String host, int port, List<String> seedNodes, Set<WorkerRole> roles, boolean manager,
      Path dataDir, int dataPlanePort) {
    this(host, port, seedNodes, roles, manager, dataDir, dataPlanePort, null);
  }

  public NodeConfig(String host, int port, List<String> seedNodes, Set<WorkerRole> roles, boolean manager,
      Path dataDir) {
    this(host, port, seedNodes, roles, manager, dataDir, 0);
  }

  public static NodeConfig embedded(Path dataDir) {
    return new NodeConfig("127.0.0.1", 0, List.of(), Set.of(WorkerRole.values()), true, dataDir);
  }

  /** The same node, secured with the cluster keys in {@code dir}. */
  public NodeConfig withClusterKeys(Path dir) {
    return new NodeConfig(host, port, seedNodes, roles, manager, dataDir, dataPlanePort, dir);
  }
}
