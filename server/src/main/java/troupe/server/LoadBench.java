package troupe.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import troupe.actors.NodeConfig;

/**
 * `troupe bench-load`: an embedded server on a loopback port with a token, loaded by {@link LoadRun}; prints how
 * long events took from the server to the watchers (median and p99) as a JSON line, and any lost event.
 */
@Command(name = "bench-load", description = "Many tiny workflows and watchers at once against an embedded server; "
    + "prints the event delivery latency (median, p99) as JSON and fails if a watcher missed an event.")
final class LoadBench implements Callable<Integer> {
  @Option(names = "--workflows", description = "workflows submitted at once (default ${DEFAULT-VALUE})")
  int workflows = 20;

  @Option(names = "--watchers", description = "watch streams spread over them (default ${DEFAULT-VALUE})")
  int watchers = 50;

  @Option(names = "--data-dir", description = "where workflow folders are written (default: a new temporary "
      + "folder)")
  Path dataDir;

  @Option(names = "--timeout-seconds", description = "give up after this long (default ${DEFAULT-VALUE})")
  int timeoutSeconds = 300;

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("troupe-bench-load");
    ServerLimits limits = ServerLimits.DEFAULTS.withMaxWorkflows(workflows)
        .withMaxWatchers(Math.max(ServerLimits.DEFAULT_MAX_WATCHERS, watchers + 1));
    NodeConfig node = new NodeConfig("127.0.0.1", 0, List.of(), NodeConfig.embedded(dir).roles(), true, dir);
    try (TroupeServer server = TroupeServer.start(node, "127.0.0.1", 0,
        ServerSecurity.token(BearerToken.random()), limits)) {
      LoadRun.Result result = LoadRun.run(() -> TroupeClient.of(server), workflows, watchers,
          Duration.ofSeconds(timeoutSeconds));
      result.problems().forEach(p -> System.out.println("lost: " + p));
      System.out.println(result.json());
      return result.problems().isEmpty() ? 0 : 1;
    } finally {
      if (dataDir == null) { // our own temporary folder: nothing in it is worth keeping
        try (var all = Files.walk(dir)) {
          for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        }
      }
    }
  }
}
