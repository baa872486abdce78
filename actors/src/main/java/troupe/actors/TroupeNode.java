package troupe.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import troupe.trainers.spec.InputRoots;
import troupe.trainers.spec.SpecValidator;
import troupe.v1.WorkflowSpec;
import troupe.v1.WorkflowStatus;

/**
 * One Troupe cluster node: a Pekko actor system hosting the configured worker roles and, on a server, the
 * workflow manager. This is the core API that the gRPC service translates to; the same code runs embedded in one
 * JVM (demo, tests) or spread over machines (by configuration only).
 */
public final class TroupeNode implements AutoCloseable {
  public static final String SYSTEM_NAME = "troupe";
  private static final Duration ASK = Duration.ofSeconds(10);

  private final ActorSystem<Void> system;
  private final WorkerDirectory directory;
  private final ActorRef<WorkflowManager.Command> manager;
  private final NodeDataPlane dataPlane;
  private final InputRoots inputs;
  private final Duration closeWait; // how long close() waits for the actor system to end
  private final Drain drain;

  private TroupeNode(ActorSystem<Void> system, WorkerDirectory directory,
      ActorRef<WorkflowManager.Command> manager, NodeDataPlane dataPlane, InputRoots inputs, Duration closeWait,
      Drain drain) {
    this.system = system;
    this.directory = directory;
    this.manager = manager;
    this.dataPlane = dataPlane;
    this.inputs = inputs;
    this.closeWait = closeWait;
    this.drain = drain;
  }

  public static TroupeNode start(NodeConfig config) {
    ClusterKeys keys = keys(config);
    InputRoots inputs = config.manager() ? inputs(config) : InputRoots.NONE;
    WorkerDirectory directory = new WorkerDirectory();
    NodeDataPlane dataPlane = new NodeDataPlane(config.host(), config.dataPlanePort(), keys);
    CompletableFuture<ActorRef<WorkflowManager.Command>> manager = new CompletableFuture<>();
    Drain drain = new Drain();
    Map<WorkerRole, ActorRef<WorkerAsk>> stateful = new ConcurrentHashMap<>();
    Behavior<Void> guardian = Behaviors.setup(ctx -> {
      ctx.spawn(WorkerDirectory.watcher(directory), "worker-directory");
      if (!config.manager()) {
        ctx.spawn(ServerWatch.create(), "server-watch");
      }
      Props compute = DispatcherSelector.fromConfig("troupe.compute-dispatcher");
      for (WorkerRole role : config.roles()) {
        ActorRef<WorkerAsk> worker = ctx.spawn(worker(role, dataPlane, drain), role.wireName + "-0", compute);
        if (role == WorkerRole.POLICY || role == WorkerRole.CRITIC) {
          stateful.put(role, worker);
        }
      }
      manager.complete(config.manager()
          ? ctx.spawn(WorkflowManager.create(config.dataDir(), directory, dataPlane), "workflow-manager") : null);
      return Behaviors.empty();
    });
    ActorSystem<Void> system = ActorSystem.create(guardian, SYSTEM_NAME, config(config, keys));
    if (config.seedNodes().isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    ActorRef<WorkflowManager.Command> started = manager.join(); // the guardian has spawned the workers too
    Duration closeWait = Duration.ofSeconds(30);
    if (!config.manager()) {
      // Only worker nodes drain: a server's orchestrators stop with it (their workflows resume at its next start),
      // so there is no one to hand its policy to.
      drain.register(system, stateful);
      if (!stateful.isEmpty()) {
        closeWait = closeWait.plus(system.settings().config().getDuration("troupe.drain-timeout"));
      }
    }
    return new TroupeNode(system, directory, started, dataPlane, inputs, closeWait, drain);
  }

  /**
   * The folders whose files the workflows may read; DATA_DIR/inputs is made here, so operators find it. The rest of
   * the data folder (token, keys, journal) and the cluster keys stay private even inside an input folder.
   */
  private static InputRoots inputs(NodeConfig config) {
    try {
      java.nio.file.Files.createDirectories(config.inputsDir());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot create the input folder " + config.inputsDir() + ": " + e, e);
    }
    List<java.nio.file.Path> privateFolders = new ArrayList<>(List.of(config.dataDir()));
    if (config.clusterKeys() != null) {
      privateFolders.add(config.clusterKeys());
    }
    return InputRoots.forServer(config.inputsDir(), config.inputDirs(), privateFolders);
  }

  static Behavior<WorkerAsk> worker(WorkerRole role, NodeDataPlane dataPlane, Drain drain) {
    return switch (role) {
      case POLICY -> PolicyWorker.create(dataPlane, drain);
      case REFERENCE -> ReferenceWorker.create(dataPlane);
      case ROLLOUT -> RolloutWorker.create(dataPlane);
      case REWARD -> RewardWorker.create();
      case CRITIC -> CriticWorker.create(dataPlane, drain);
    };
  }

  /** The node's cluster keys, read and checked before anything starts; null without NodeConfig.clusterKeys. */
  private static ClusterKeys keys(NodeConfig config) {
    if (config.clusterKeys() == null) {
      return null;
    }
    try {
      return ClusterKeys.load(config.clusterKeys());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  static Config config(NodeConfig c, ClusterKeys keys) {
    List<String> seeds = new ArrayList<>();
    for (String s : c.seedNodes()) {
      seeds.add("\"pekko://" + SYSTEM_NAME + "@" + s + "\"");
    }
    String overrides = "pekko.remote.artery.canonical.hostname = \"" + c.host() + "\"\n"
        + "pekko.remote.artery.canonical.port = " + c.port() + "\n"
        + "pekko.cluster.seed-nodes = [" + String.join(",", seeds) + "]\n"
        + "pekko.cluster.roles = [" + (c.manager() ? "server" : "worker") + "]\n";
    Config config = ConfigFactory.parseString(overrides);
    if (keys != null) {
      // Protocol, ciphers, mutual authentication and hostname verification are in troupe.conf; the paths and the
      // password go in as values (parseMap), so no path needs quoting.
      String ssl = "pekko.remote.artery.ssl.config-ssl-engine.";
      config = ConfigFactory.parseMap(java.util.Map.of(
          "pekko.remote.artery.transport", "tls-tcp",
          ssl + "key-store", keys.keyStore().toString(),
          ssl + "trust-store", keys.trustStore().toString(),
          ssl + "key-store-password", keys.password(),
          ssl + "key-password", keys.password(),
          ssl + "trust-store-password", keys.password())).withFallback(config);
    }
    // System properties (-D in TROUPE_JAVA_OPTS) before troupe.conf, so that a user can change its settings.
    Config resolved = config.withFallback(JournalConfig.of(c.dataDir()))
        .withFallback(ConfigFactory.systemProperties())
        .withFallback(ConfigFactory.parseResources(TroupeNode.class.getClassLoader(), "troupe.conf"))
        .withFallback(ConfigFactory.load());
    // The shutdown phase the drain runs in outlasts the drain, whatever troupe.drain-timeout is set to.
    long drainSeconds = resolved.getDuration("troupe.drain-timeout").toSeconds();
    return ConfigFactory.parseString("pekko.coordinated-shutdown.phases.before-service-unbind.timeout = "
        + (drainSeconds + 10) + " s").withFallback(resolved);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public WorkerDirectory directory() {
    return directory;
  }

  public NodeDataPlane dataPlane() {
    return dataPlane;
  }

  /** host:port of this node's cluster endpoint, for other nodes' --seed-nodes. */
  public String clusterAddress() {
    var address = Cluster.get(system).selfMember().address();
    return address.getHost().orElse("?") + ":" + address.getPort().orElse(0);
  }

  private ActorRef<WorkflowManager.Command> manager() {
    if (manager == null) {
      throw new IllegalStateException("this node does not run the workflow manager");
    }
    return manager;
  }

  /** The folders whose files workflows may read (none on a node without the workflow manager). */
  public InputRoots inputs() {
    return inputs;
  }

  /** The spec with its defaults, as it would run here; throws {@link troupe.trainers.spec.SpecException}. */
  public WorkflowSpec validate(WorkflowSpec spec) {
    return SpecValidator.resolve(spec, inputs);
  }

  /** Validates the spec (throws {@link troupe.trainers.spec.SpecException}) and starts the workflow. */
  public CompletionStage<WorkflowStatus> submit(WorkflowSpec spec) {
    return submitResolved(validate(spec));
  }

  /** Starts a spec that {@link #validate} returned (validation reads files and builds the task: once is enough). */
  public CompletionStage<WorkflowStatus> submitResolved(WorkflowSpec resolved) {
    return AskPattern.ask(manager(), reply -> new WorkflowManager.Submit(resolved, reply), ASK, system.scheduler());
  }

  public CompletionStage<Optional<WorkflowStatus>> get(String workflowId) {
    return AskPattern.ask(manager(), reply -> new WorkflowManager.Get(workflowId, reply), ASK, system.scheduler());
  }

  public CompletionStage<List<WorkflowStatus>> list() {
    return AskPattern.ask(manager(), WorkflowManager.ListAll::new, ASK, system.scheduler());
  }

  public CompletionStage<Optional<WorkflowStatus>> cancel(String workflowId, String reason) {
    return AskPattern.ask(manager(), reply -> new WorkflowManager.Cancel(workflowId, reason, reply), ASK,
        system.scheduler());
  }

  /**
   * Streams a workflow's events (after {@code afterSeq}) to the listener until the terminal event or until the
   * listener returns false. Completes with false if there is no such workflow.
   */
  public CompletionStage<Boolean> watch(String workflowId, long afterSeq, WatchForwarder.Listener listener) {
    ActorRef<Object> forwarder = system.systemActorOf(WatchForwarder.create(listener),
        "watch-" + UUID.randomUUID(), Props.empty());
    return AskPattern.<WorkflowManager.Command, Boolean>ask(manager(),
            reply -> new WorkflowManager.Watch(workflowId, afterSeq, forwarder.narrow(), reply), ASK,
            system.scheduler())
        .whenComplete((found, error) -> {
          if (error != null || !found) {
            forwarder.tell(WatchForwarder.STOP);
          }
        });
  }

  /** Whether a workflow's policy or critic model is held here (for tests: what a drain or a stop frees). */
  boolean holdsWorkflowState() {
    return !drain.idle();
  }

  @Override
  public void close() {
    system.terminate();
    // A node with a policy or critic first waits for them to move elsewhere (Drain), at most the drain timeout.
    system.getWhenTerminated().toCompletableFuture().orTimeout(closeWait.toSeconds(),
        java.util.concurrent.TimeUnit.SECONDS)
        .exceptionally(e -> null).join();
    dataPlane.close();
  }
}
