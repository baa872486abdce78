package troupe.actors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import troupe.trainers.spec.InputRoots;

/**
 * How to start a cluster node: where it listens (port 0 picks a free one), which nodes to join (none: it forms its
 * own cluster), which worker roles it hosts, whether it runs the workflow manager, where workflows write, the port
 * of its data plane (0 = any free port; other nodes learn it from each blob reference), the folder of the
 * {@link ClusterKeys} (null = plain TCP between nodes, for a single JVM; with keys, Artery and the data plane use TLS
 * with mutual authentication and only nodes holding the same keys can join), and the folders besides the Troupe home
 * and {@link #inputsDir()} whose files workflows may read (a server's --input-dir).
 */
public record NodeConfig(String host, int port, List<String> seedNodes, Set<WorkerRole> roles, boolean manager,
    Path dataDir, int dataPlanePort, Path clusterKeys, List<Path> inputDirs) {

  public NodeConfig {
    inputDirs = List.copyOf(inputDirs);
  }

  public NodeConfig(String host, int port, List<String> seedNodes, Set<WorkerRole> roles, boolean manager,
      Path dataDir, int dataPlanePort, Path clusterKeys) {
    this(host, port, seedNodes, roles, manager, dataDir, dataPlanePort, clusterKeys, List.of());
  }

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
    return new NodeConfig(host, port, seedNodes, roles, manager, dataDir, dataPlanePort, dir, inputDirs);
  }

  /** The same node, whose workflows may also read the files in {@code dirs}. */
  public NodeConfig withInputDirs(List<Path> dirs) {
    List<Path> all = new ArrayList<>(inputDirs);
    all.addAll(dirs);
    return new NodeConfig(host, port, seedNodes, roles, manager, dataDir, dataPlanePort, clusterKeys, all);
  }

  /**
   * The same node, whose workflows may also start from files of its earlier workflows: for the demo, compare and
   * tests, which run a workflow from another's checkpoint on a server of their own.
   */
  public NodeConfig withWorkflowsAsInputs() {
    return withInputDirs(List.of(dataDir.resolve("workflows")));
  }

  /** DATA_DIR/inputs: where a server's operator puts the training files its workflows may read. */
  public Path inputsDir() {
    return dataDir.resolve(InputRoots.INPUTS);
  }
}
