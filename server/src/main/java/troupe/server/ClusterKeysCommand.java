package troupe.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import troupe.actors.ClusterKeys;

/**
 * `troupe cluster-keys --out DIR`: makes the files every node of a cluster needs to join it, and the rule for which
 * keys a `troupe server` or `troupe worker` uses.
 */
@Command(name = "cluster-keys", description = "Make the cluster keys (a key store, a trust store and their "
    + "password, owner-only); give the same folder to every node with --cluster-keys DIR.")
final class ClusterKeysCommand implements Callable<Integer> {
  /** Where a server started without --cluster-keys keeps its own, under its data folder. */
  static final Path SERVER_KEYS = Path.of("auth", "cluster");

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for the keys (created; must "
      + "not hold keys yet)")
  Path out;

  @Override
  public Integer call() throws IOException {
    ClusterKeys.generate(out);
    System.out.println("cluster keys in " + out.toAbsolutePath() + "; copy this folder to every node (keep it "
        + "private) and start each with --cluster-keys " + out);
    return 0;
  }

  /**
   * The keys folder a node uses: {@code --cluster-keys} if given; none with {@code --insecure-cluster}; a server
   * without either uses DATA_DIR/auth/cluster, made on its first start; a worker must be told one or the other,
   * since with no keys it could never join a server that has them.
   */
  static Path forNode(Path given, boolean insecure, boolean server, Path dataDir, CommandLine cli)
      throws IOException {
    if (insecure) {
      if (given != null) {
        throw new CommandLine.ParameterException(cli, "--cluster-keys and --insecure-cluster exclude each other");
      }
      return null;
    }
    if (given != null) {
      return given;
    }
    if (!server) {
      throw new CommandLine.ParameterException(cli, "a worker needs --cluster-keys DIR: a copy of the server's "
          + "DATA_DIR/" + SERVER_KEYS + " (or the folder made by `troupe cluster-keys`); or --insecure-cluster if "
          + "the server runs with it");
    }
    Path own = dataDir.resolve(SERVER_KEYS);
    if (!ClusterKeys.present(own)) {
      ClusterKeys.generate(own);
      System.out.println("troupe server: made cluster keys in " + own.toAbsolutePath() + "; copy " + own
          + " to every worker node and pass --cluster-keys DIR (nodes without them cannot join)");
    }
    return own;
  }
}
