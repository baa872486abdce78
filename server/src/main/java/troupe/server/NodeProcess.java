package troupe.server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A `troupe worker` or `troupe server` in its own JVM on this machine, with free ports: the same command a user runs
 * on another machine, started by tests and by `troupe bench-cluster`. Its output goes to a log file in {@code dir}.
 */
final class NodeProcess implements AutoCloseable {
  private static final Pattern WORKER_STARTED = Pattern.compile("troupe worker at (\\S+:\\d+)");
  private static final Pattern SERVER_STARTED = Pattern.compile("gRPC on \\S+:(\\d+), cluster at (\\S+:\\d+)");

  final Process process;
  final String address;   // host:port of its cluster node
  final int grpcPort;     // a server's gRPC port; 0 for a worker
  final Path log;

  private NodeProcess(Process process, String address, int grpcPort, Path log) {
    this.process = process;
    this.address = address;
    this.grpcPort = grpcPort;
    this.log = log;
  }

  static NodeProcess worker(Path dir, String name, String seedNode, String roles) throws Exception {
    return worker(dir, name, seedNode, roles, null);
  }

  static NodeProcess worker(Path dir, String name, String seedNode, String roles, String cpus) throws Exception {
    return worker(dir, name, seedNode, roles, cpus, null);
  }

  /**
   * With {@code cpus} (e.g. "1"), the process is pinned to those cores with taskset. With {@code clusterKeys}, the
   * worker joins over TLS with those keys (the server's); without, over plain TCP (--insecure-cluster), for a server
   * started without keys.
   */
  static NodeProcess worker(Path dir, String name, String seedNode, String roles, String cpus, Path clusterKeys)
      throws Exception {
    return worker(dir, name, seedNode, roles, cpus, clusterKeys, "127.0.0.1");
  }

  /** As above, with the node bound to and advertising {@code host}. */
  static NodeProcess worker(Path dir, String name, String seedNode, String roles, String cpus, Path clusterKeys,
      String host) throws Exception {
    List<String> args = new ArrayList<>(List.of("worker", "--roles", roles, "--seed-nodes", seedNode,
        "--host", host, "--cluster-port", "0", "--data-dir", dir.toString()));
    args.addAll(clusterKeys == null ? List.of("--insecure-cluster") : List.of("--cluster-keys", clusterKeys.toString()));
    Matcher m = launch(dir, name, args, cpus, WORKER_STARTED);
    return new NodeProcess(m.process, m.ready.group(1), 0, m.log);
  }

  /** A server with every worker role, its gRPC API on a free port, writing workflows under {@code dataDir}. */
  static NodeProcess server(Path dir, String name, Path dataDir) throws Exception {
    return server(dir, name, dataDir, 0);
  }

  /** The same on a given cluster port, so that worker processes seeded with it find a restarted server. */
  static NodeProcess server(Path dir, String name, Path dataDir, int clusterPort) throws Exception {
    Matcher m = launch(dir, name, List.of("server", "--port", "0", "--cluster-port", String.valueOf(clusterPort),
        "--data-dir", dataDir.toString()), null, SERVER_STARTED);
    return new NodeProcess(m.process, m.ready.group(2), Integer.parseInt(m.ready.group(1)), m.log);
  }

  /** `troupe ARGS` in a new JVM with this JVM's class path and its DJL and JDK flags. */
  static List<String> troupeCommand(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-Dai.djl") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")) {
        command.add(arg); // this JVM's DJL and JDK flags
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "troupe.server.TroupeCli"));
    command.addAll(args);
    return command;
  }

  /** DJL must not try to download its native library in a child either. */
  static ProcessBuilder offline(ProcessBuilder builder) {
    builder.environment().put("DJL_OFFLINE", "true");
    return builder;
  }

  private record Matcher(Process process, java.util.regex.Matcher ready, Path log) {}

  private static Matcher launch(Path dir, String name, List<String> args, String cpus, Pattern ready)
      throws Exception {
    List<String> command = new ArrayList<>();
    if (cpus != null) {
      command.addAll(List.of("taskset", "-c", cpus));
    }
    command.addAll(troupeCommand(args));
    Path log = dir.resolve(name + ".log");
    Process process = offline(new ProcessBuilder(command)).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      java.util.regex.Matcher m = ready.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        return new Matcher(process, m, log);
      }
      if (!process.isAlive()) {
        throw new IOException(name + " exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new IOException(name + " did not start within 60 s: " + Files.readString(log));
  }

  /** kill -9: no shutdown hook runs, the node just vanishes from the cluster. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
