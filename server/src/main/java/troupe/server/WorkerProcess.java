package troupe.server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A `troupe worker` in its own JVM on this machine, with a free cluster port: the same command a user runs on
 * another machine, started by tests and by `troupe bench-cluster`. Its output goes to a log file in {@code dir}.
 */
final class WorkerProcess implements AutoCloseable {
  private static final Pattern STARTED = Pattern.compile("troupe worker at (\\S+:\\d+)");

  final Process process;
  final String address;   // host:port of its cluster node
  final Path log;

  private WorkerProcess(Process process, String address, Path log) {
    this.process = process;
    this.address = address;
    this.log = log;
  }

  static WorkerProcess start(Path dir, String name, String seedNode, String roles) throws Exception {
    return start(dir, name, seedNode, roles, null);
  }

  /** With {@code cpus} (e.g. "1"), the process is pinned to those cores with taskset. */
  static WorkerProcess start(Path dir, String name, String seedNode, String roles, String cpus) throws Exception {
    return start(dir, name, seedNode, roles, cpus, null);
  }

  /**
   * With {@code clusterKeys}, the worker joins over TLS with those keys (the server's); without, over plain TCP
   * (--insecure-cluster), for a server started without keys.
   */
  static WorkerProcess start(Path dir, String name, String seedNode, String roles, String cpus, Path clusterKeys)
      throws Exception {
    List<String> command = new ArrayList<>();
    if (cpus != null) {
      command.addAll(List.of("taskset", "-c", cpus));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-Dai.djl") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")) {
        command.add(arg); // this JVM's DJL and JDK flags
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "troupe.server.TroupeCli", "worker",
        "--roles", roles, "--seed-nodes", seedNode, "--cluster-port", "0", "--data-dir", dir.toString()));
    command.addAll(clusterKeys == null ? List.of("--insecure-cluster") : List.of("--cluster-keys",
        clusterKeys.toString()));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("DJL_OFFLINE", "true");
    Process process = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher m = STARTED.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        return new WorkerProcess(process, m.group(1), log);
      }
      if (!process.isAlive()) {
        throw new IOException("worker " + name + " exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new IOException("worker " + name + " did not start within 60 s: " + Files.readString(log));
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
