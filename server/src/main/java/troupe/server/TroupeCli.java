package troupe.server;

import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import troupe.actors.NodeConfig;
import troupe.actors.TroupeNode;
import troupe.actors.WorkerRole;
import troupe.v1.Artifact;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowStatus;

/** The `troupe` command line. */
@Command(name = "troupe", mixinStandardHelpOptions = true, version = "troupe 0.1.0",
    description = "Post-training of language models on a Pekko cluster.",
    subcommands = {TroupeCli.Server.class, TroupeCli.Worker.class, TroupeCli.Submit.class, TroupeCli.Watch.class,
        TroupeCli.StatusCmd.class, TroupeCli.ListCmd.class, TroupeCli.Cancel.class, TroupeCli.Artifacts.class,
        Demo.class, Bench.class, Compare.class, ClusterBench.class, WeightSyncBench.class, ClusterKeysCommand.class,
        LoadBench.class, ResumeBench.class, MemoryBench.class, RewardServerCommand.class})
public final class TroupeCli implements Runnable {
  static final String DEFAULT_SERVER = "127.0.0.1:50051";
  static final Path DEFAULT_DATA_DIR = Path.of("troupe-data");
  static final String TOKEN_VARIABLE = "TROUPE_TOKEN";

  /** Reads environment variables; tests replace it to set TROUPE_TOKEN without touching the real environment. */
  static java.util.function.UnaryOperator<String> environment = System::getenv;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command and returns its exit code: 0 ok, 1 error, 2 rejected by the server. */
  static int run(String... args) {
    return new CommandLine(new TroupeCli()).setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof StatusRuntimeException s) {
        // A transport failure (refused connection, TLS handshake) says why only in its cause.
        Throwable cause = s.getStatus().getCause();
        String description = String.valueOf(s.getStatus().getDescription());
        if (description.startsWith("gRPC message exceeds maximum size")) { // gRPC's own words name no flag
          description += " bytes; a server accepts up to `troupe server --max-message-bytes` in one message";
        } else if (s.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
          description += "; check --server, and pass --tls (--tls-ca FILE) if the server serves TLS";
        }
        cmd.getErr().println("error: " + s.getStatus().getCode() + ": " + description
            + (cause == null ? "" : " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")"));
        return 2;
      }
      cmd.getErr().println("error: " + (e instanceof java.nio.file.NoSuchFileException
          ? "no such file: " + e.getMessage() : e.getMessage()));
      return 1;
    }).execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Options shared by the commands that start a cluster node. */
  static class NodeOptions {
    @Option(names = "--host", description = "address this node binds and advertises (default ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--cluster-port", description = "Pekko cluster port, 0 = any free port (default ${DEFAULT-VALUE})")
    int clusterPort = 25520;

    @Option(names = "--data-plane-port", description = "gRPC port other nodes fetch weights and rollouts from, 0 = any "
        + "free port (default ${DEFAULT-VALUE})")
    int dataPlanePort = 0;

    @Option(names = "--seed-nodes", split = ",", description = "HOST:PORT of cluster nodes to join")
    List<String> seedNodes = new ArrayList<>();

    @Option(names = "--roles", split = ",", description = "worker roles hosted here: policy, reference, rollout, "
        + "reward, critic (default: all)")
    List<String> roles = new ArrayList<>(WorkerRole.names());

    @Option(names = "--data-dir", description = "where workflow folders are written (default ${DEFAULT-VALUE})")
    Path dataDir = DEFAULT_DATA_DIR;

    @Option(names = "--node-config", description = "YAML file with any of host, cluster_port, data_plane_port, "
        + "seed_nodes, roles, data_dir, cluster_keys (and port and input_dirs for a server); flags given on the "
        + "command line win")
    Path nodeConfig;

    @Option(names = "--cluster-keys", paramLabel = "DIR", description = "the cluster's keys (`troupe cluster-keys`), "
        + "the same on every node: TLS between nodes, and only nodes with them can join. A server without it uses "
        + "DATA_DIR/auth/cluster, made on its first start")
    Path clusterKeys;

    @Option(names = "--insecure-cluster", description = "plain TCP between nodes, no keys: anyone who reaches the "
        + "cluster port can join; for a trusted network only")
    boolean insecureCluster;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec command;

    Integer filePort; // `port` of --node-config
    List<Path> fileInputDirs = List.of(); // `input_dirs` of --node-config

    /** Fills the options not given as flags from --node-config. */
    void applyNodeConfig() throws java.io.IOException {
      if (nodeConfig == null) {
        return;
      }
      Object parsed = new org.yaml.snakeyaml.Yaml().load(Files.readString(nodeConfig));
      if (!(parsed instanceof java.util.Map<?, ?> map)) {
        throw new CommandLine.ParameterException(command.commandLine(), nodeConfig + ": expected a mapping of "
            + "host, cluster_port, seed_nodes, roles, data_dir, port");
      }
      var given = command.commandLine().getParseResult();
      for (var e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        String flag = "--" + key.replace('_', '-');
        if (given.hasMatchedOption(flag)) {
          continue;
        }
        Object v = e.getValue();
        switch (key) {
          case "host" -> host = String.valueOf(v);
          case "cluster_port" -> clusterPort = integer(key, v);
          case "data_plane_port" -> dataPlanePort = integer(key, v);
          case "seed_nodes" -> seedNodes = strings(key, v);
          case "roles" -> roles = strings(key, v);
          case "data_dir" -> dataDir = Path.of(String.valueOf(v));
          case "cluster_keys" -> clusterKeys = Path.of(String.valueOf(v));
          case "port" -> filePort = integer(key, v); // the server's gRPC port, read by Server
          case "input_dirs" -> fileInputDirs = strings(key, v).stream().map(Path::of).toList(); // read by Server
          default -> throw new CommandLine.ParameterException(command.commandLine(), nodeConfig + ": unknown key \""
              + key + "\"; allowed: host, cluster_port, data_plane_port, seed_nodes, roles, data_dir, cluster_keys, "
              + "port, input_dirs");
        }
      }
    }

    private int integer(String key, Object v) {
      if (v instanceof Integer i) {
        return i;
      }
      throw new CommandLine.ParameterException(command.commandLine(), nodeConfig + ": " + key
          + " must be an integer, got " + v);
    }

    private List<String> strings(String key, Object v) {
      if (v instanceof List<?> list) {
        return list.stream().map(String::valueOf).toList();
      }
      if (v instanceof String s) {
        return List.of(s.split(","));
      }
      throw new CommandLine.ParameterException(command.commandLine(), nodeConfig + ": " + key
          + " must be a list or a comma-separated string, got " + v);
    }

    NodeConfig config(boolean manager) throws java.io.IOException {
      applyNodeConfig();
      Set<WorkerRole> parsed = new LinkedHashSet<>();
      for (String r : roles) {
        if (!r.isBlank() && !r.equals("none")) {
          parsed.add(WorkerRole.fromName(r.trim()));
        }
      }
      for (String s : seedNodes) {
        if (!s.matches("[^:]+:\\d+")) {
          throw new CommandLine.ParameterException(new CommandLine(this),
              "--seed-nodes: \"" + s + "\" is not HOST:PORT");
        }
      }
      return new NodeConfig(host, clusterPort, seedNodes, parsed, manager, dataDir, dataPlanePort,
          ClusterKeysCommand.forNode(clusterKeys, insecureCluster, manager, dataDir, command.commandLine()));
    }
  }

  @Command(name = "server", description = "Start a cluster node with the gRPC API (and, by default, all workers). "
      + "Every call but health checking needs the bearer token (DATA_DIR/auth/token, created on first start).")
  static final class Server implements Callable<Integer> {
    @CommandLine.Mixin NodeOptions node = new NodeOptions();

    @Option(names = "--port", description = "gRPC port (default ${DEFAULT-VALUE})")
    int port = 50051;

    @Option(names = "--token-file", paramLabel = "FILE", description = "read the API token from FILE instead of "
        + "TROUPE_TOKEN or DATA_DIR/auth/token")
    Path tokenFile;

    @Option(names = "--tls", description = "serve TLS with a self-signed certificate for localhost, 127.0.0.1 and "
        + "--host, created on first start as DATA_DIR/auth/server.crt and server.key")
    boolean tls;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "serve TLS with this PEM certificate chain "
        + "(needs --tls-key)")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "the PEM (PKCS#8) private key of --tls-cert")
    Path tlsKey;

    @Option(names = "--max-message-bytes", description = "largest gRPC message accepted (default ${DEFAULT-VALUE})")
    int maxMessageBytes = ServerLimits.DEFAULT_MAX_MESSAGE_BYTES;

    @Option(names = "--max-spec-bytes", description = "largest workflow spec accepted (default ${DEFAULT-VALUE})")
    int maxSpecBytes = ServerLimits.DEFAULT_MAX_SPEC_BYTES;

    @Option(names = "--max-workflows", description = "workflows running at once; more are refused "
        + "(default ${DEFAULT-VALUE})")
    int maxWorkflows = ServerLimits.DEFAULT_MAX_WORKFLOWS;

    @Option(names = "--max-watchers", description = "open watch streams at once; more are refused "
        + "(default ${DEFAULT-VALUE})")
    int maxWatchers = ServerLimits.DEFAULT_MAX_WATCHERS;

    @Option(names = "--input-dir", paramLabel = "DIR", description = "a folder whose files workflows may read "
        + "(train_file, init_checkpoint, ...), besides the Troupe home and DATA_DIR/inputs; repeatable")
    List<Path> inputDirs = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws Exception {
      try (TroupeServer server = open()) {
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        server.awaitTermination();
      }
      return 0;
    }

    /** Starts the server as the options say and prints where it listens and where its token is. */
    TroupeServer open() throws Exception {
      NodeConfig config = node.config(true);
      if (node.filePort != null && !node.command.commandLine().getParseResult().hasMatchedOption("--port")) {
        port = node.filePort;
      }
      config = config.withInputDirs(inputDirs(inputDirs.isEmpty() ? node.fileInputDirs : inputDirs));
      ServerLimits limits;
      try {
        limits = new ServerLimits(maxMessageBytes, maxSpecBytes, maxWorkflows, maxWatchers);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(command.commandLine(), e.getMessage());
      }
      List<String> notes = new ArrayList<>();
      ServerSecurity security = ServerSecurity.token(token(notes));
      if (tlsCert != null || tlsKey != null) {
        if (tlsCert == null || tlsKey == null) {
          throw new CommandLine.ParameterException(command.commandLine(), "--tls-cert and --tls-key go together");
        }
        security = security.withTls(tlsCert, tlsKey);
        notes.add("TLS with certificate " + tlsCert.toAbsolutePath());
      } else if (tls) {
        Path cert = node.dataDir.resolve("auth").resolve("server.crt");
        Path key = node.dataDir.resolve("auth").resolve("server.key");
        String written = SelfSignedCertificate.ensure(cert, key, node.host);
        security = security.withTls(cert, key);
        notes.add("TLS with the self-signed certificate " + cert.toAbsolutePath()
            + (written == null ? "" : " (" + written + ")") + "; clients: --tls --tls-ca " + cert.toAbsolutePath());
      } else if (!isLoopback(node.host)) {
        notes.add("warning: plaintext on " + node.host + ": the token crosses the network readable; use --tls");
      }
      TroupeServer server = TroupeServer.start(config, node.host, port, security, limits);
      System.out.println("troupe server: gRPC on " + node.host + ":" + server.port() + ", cluster at "
          + server.node().clusterAddress() + ", data in " + node.dataDir.toAbsolutePath());
      notes.add("workflows read input files only from " + server.node().inputs().folders().stream()
          .map(Path::toString).collect(java.util.stream.Collectors.joining(", ")) + " (put training files in "
          + config.inputsDir().toAbsolutePath() + ", or add folders with --input-dir)");
      notes.forEach(n -> System.out.println("  " + n));
      return server;
    }

    /** The --input-dir folders, each of which must exist: a typo would otherwise only show at the first submit. */
    private List<Path> inputDirs(List<Path> dirs) {
      for (Path dir : dirs) {
        if (!Files.isDirectory(dir)) {
          throw new CommandLine.ParameterException(command.commandLine(), "--input-dir " + dir + " is not a folder");
        }
      }
      return dirs;
    }

    /** --token-file, else TROUPE_TOKEN, else DATA_DIR/auth/token (created on first start). Never printed. */
    private String token(List<String> notes) throws java.io.IOException {
      Path file;
      if (tokenFile != null) {
        file = tokenFile;
        if (!Files.exists(file)) {
          throw new CommandLine.ParameterException(command.commandLine(), "--token-file " + file + " does not "
              + "exist; create it with a token (printable ASCII, e.g. 32 random bytes in base64) or leave the "
              + "option out to use " + TokenFile.in(node.dataDir));
        }
      } else {
        String fromEnvironment = environment.apply(TOKEN_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
          notes.add("clients need the bearer token from " + TOKEN_VARIABLE + " (set it for them too)");
          return BearerToken.check(fromEnvironment.strip(), TOKEN_VARIABLE);
        }
        file = TokenFile.in(node.dataDir);
      }
      String token = TokenFile.readOrCreate(file);
      notes.add("clients need the bearer token in " + file.toAbsolutePath() + " (--token-file FILE, or "
          + TOKEN_VARIABLE + "; read by default from " + TokenFile.in(DEFAULT_DATA_DIR) + ")");
      if (OwnerOnlyFiles.readableByOthers(file)) {
        notes.add("warning: " + file + " is readable by other users; chmod 600 " + file);
      }
      return token;
    }

    private static boolean isLoopback(String host) {
      try {
        return java.net.InetAddress.getByName(host).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }
  }

  @Command(name = "worker", description = "Start a cluster node that only hosts workers and joins --seed-nodes.")
  static final class Worker implements Callable<Integer> {
    @CommandLine.Mixin NodeOptions node = new NodeOptions();

    @Override
    public Integer call() throws Exception {
      if (node.seedNodes.isEmpty()) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--seed-nodes is required for a worker");
      }
      NodeConfig config = node.config(false);
      AtomicBoolean stopping = new AtomicBoolean();
      AtomicReference<TroupeNode> current = new AtomicReference<>();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stopping.set(true);
        TroupeNode running = current.get();
        if (running != null) {
          running.close();
        }
      }));
      while (!stopping.get()) {
        TroupeNode worker = TroupeNode.start(config);
        current.set(worker);
        System.out.println("troupe worker at " + worker.clusterAddress() + " with roles " + node.roles);
        worker.system().getWhenTerminated().toCompletableFuture().join();
        worker.close(); // its data plane
        if (!stopping.get()) {
          // The server left or was lost (ServerWatch, or downed by the Split Brain Resolver): a node joins a
          // cluster once, so a fresh one joins the seed nodes again and waits there for the server to return.
          System.out.println("troupe worker: the server is gone; joining " + String.join(",", config.seedNodes())
              + " again");
        }
      }
      return 0;
    }
  }

  /** How a client command reaches the server: address, token and TLS. */
  static class ClientOptions {
    @Option(names = "--server", description = "HOST:PORT of the gRPC API (default ${DEFAULT-VALUE})")
    String server = DEFAULT_SERVER;

    @Option(names = "--token", description = "the server's bearer token (default: --token-file, TROUPE_TOKEN, "
        + "then troupe-data/auth/token if readable)")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "read the bearer token from FILE")
    Path tokenFile;

    @Option(names = "--tls", description = "connect with TLS")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "trust this PEM certificate (implies --tls; "
        + "default troupe-data/auth/server.crt if it exists, else the system's CAs)")
    Path tlsCa;

    TroupeClient connect() throws java.io.IOException {
      return new TroupeClient(server, security());
    }

    /**
     * The token: --token, else --token-file, else TROUPE_TOKEN, else the default token file if readable, else
     * none (the server then answers UNAUTHENTICATED, saying how to pass one). Flags win over the environment.
     */
    ClientSecurity security() throws java.io.IOException {
      String chosen = token;
      if (chosen == null && tokenFile != null) {
        chosen = TokenFile.read(tokenFile);
      }
      if (chosen == null) {
        String fromEnvironment = environment.apply(TOKEN_VARIABLE);
        chosen = fromEnvironment == null || fromEnvironment.isBlank() ? null : fromEnvironment.strip();
      }
      Path defaultFile = TokenFile.in(DEFAULT_DATA_DIR);
      if (chosen == null && Files.isReadable(defaultFile)) {
        chosen = TokenFile.read(defaultFile);
      }
      ClientSecurity security = new ClientSecurity(chosen, false, null);
      if (tls || tlsCa != null) {
        Path defaultCa = DEFAULT_DATA_DIR.resolve("auth").resolve("server.crt");
        security = security.withTls(tlsCa != null ? tlsCa : Files.exists(defaultCa) ? defaultCa : null);
      }
      return security;
    }
  }

  @Command(name = "submit", description = "Submit a workflow file; prints the workflow id.")
  static final class Submit implements Callable<Integer> {
    @CommandLine.Mixin ClientOptions client = new ClientOptions();

    @Parameters(paramLabel = "FILE", description = "workflow YAML file")
    Path file;

    @Override
    public Integer call() throws Exception {
      String yaml = Files.readString(file);
      try (TroupeClient c = client.connect()) {
        System.out.println(c.submitYaml(yaml));
      }
      return 0;
    }
  }

  /** A command about one workflow: connects to the server and runs against the workflow ID. */
  abstract static class OnWorkflow implements Callable<Integer> {
    @CommandLine.Mixin ClientOptions client = new ClientOptions();

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      try (TroupeClient c = client.connect()) {
        return run(c);
      }
    }

    abstract int run(TroupeClient c);
  }

  @Command(name = "watch", description = "Follow a workflow live; exits non-zero if it failed or was cancelled.")
  static final class Watch extends OnWorkflow {
    @Option(names = "--reconnect-seconds", description = "while the server is unreachable (e.g. restarting), keep "
        + "trying this long (default ${DEFAULT-VALUE}; 0 = give up at once)")
    int reconnectSeconds = 300;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    int run(TroupeClient c) {
      if (reconnectSeconds < 0) {
        throw new CommandLine.ParameterException(command.commandLine(),
            "--reconnect-seconds must be 0 or more, got " + reconnectSeconds);
      }
      return follow(c, id, Duration.ofSeconds(reconnectSeconds), WatchPrinter.forStdout(), e -> { });
    }
  }

  /**
   * Prints events until the workflow ends, reconnecting for up to {@code patience} when the server is lost;
   * returns the exit code (0 completed, 3 failed, 4 cancelled, 5 the stream ended without an end).
   */
  static int follow(TroupeClient client, String id, Duration patience, WatchPrinter printer,
      java.util.function.Consumer<WorkflowEvent> also) {
    int[] code = {5};
    try {
      new ReconnectingWatch(client, id, patience, System.err::println).follow(e -> {
        printer.print(e);
        also.accept(e);
        code[0] = e.hasCompleted() ? 0 : e.hasFailed() ? 3 : e.hasCancelled() ? 4 : code[0];
      });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return code[0];
  }

  @Command(name = "status", description = "Show one workflow.")
  static final class StatusCmd extends OnWorkflow {
    @Override
    int run(TroupeClient c) {
      WorkflowStatus s = c.get(id);
      System.out.println(summary(s));
      if (!s.getMessage().isEmpty()) {
        System.out.println("  message: " + s.getMessage());
      }
      System.out.println("  folder: " + s.getFolder());
      if (s.hasLastEval()) {
        System.out.printf(Locale.ROOT, "  last eval: stage %s step %d accuracy %.3f%n", s.getLastEval().getStage(),
            s.getLastEval().getStep(), s.getLastEval().getAccuracy());
      }
      return 0;
    }
  }

  @Command(name = "list", description = "List workflows.")
  static final class ListCmd implements Callable<Integer> {
    @CommandLine.Mixin ClientOptions client = new ClientOptions();

    @Override
    public Integer call() throws Exception {
      try (TroupeClient c = client.connect()) {
        for (WorkflowStatus s : c.list().getWorkflowsList()) {
          System.out.println(summary(s));
        }
      }
      return 0;
    }
  }

  @Command(name = "cancel", description = "Cancel a running workflow (it stops within one step).")
  static final class Cancel extends OnWorkflow {
    @Override
    int run(TroupeClient c) {
      System.out.println(summary(c.cancel(id)));
      return 0;
    }
  }

  @Command(name = "artifacts", description = "List a workflow's files (size, modified, path), or download one with "
      + "--get.")
  static final class Artifacts implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

    @CommandLine.Mixin ClientOptions client = new ClientOptions();

    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--get", paramLabel = "PATH", description = "download this file (a path as listed)")
    String get;

    @Option(names = "--out", paramLabel = "FILE", description = "where to write it (default: the file name of PATH "
        + "in the current directory; an existing directory keeps that name)")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (out != null && get == null) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--out needs --get PATH");
      }
      try (TroupeClient c = client.connect()) {
        if (get == null) {
          for (Artifact a : c.listArtifacts(id)) {
            System.out.println(line(a));
          }
          return 0;
        }
        String name = get.substring(get.lastIndexOf('/') + 1);
        Path target = out == null ? Path.of(name) : out;
        if (Files.isDirectory(target)) {
          target = target.resolve(name);
        }
        long bytes = c.downloadArtifact(id, get, target);
        System.out.println("wrote " + bytes + " bytes to " + target.toAbsolutePath());
      }
      return 0;
    }

    static String line(Artifact a) {
      String modified = TIME.format(Instant.ofEpochMilli(a.getModifiedUnixMillis()).atZone(ZoneId.systemDefault()));
      return String.format(Locale.ROOT, "%12d  %s  %s", a.getSizeBytes(), modified, a.getPath());
    }
  }

  static String summary(WorkflowStatus s) {
    return String.format(Locale.ROOT, "%s  %-10s %-20s stage %d step %d/%d", s.getWorkflowId(), s.getState(),
        s.getName(), s.getStageIndex(), s.getStep(), s.getTotalSteps());
  }
}
