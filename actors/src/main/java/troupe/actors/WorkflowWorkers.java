package troupe.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import troupe.v1.BlobRef;
import troupe.v1.ExportWeights;
import troupe.v1.InitModel;
import troupe.v1.LoadWeights;
import troupe.v1.Ping;
import troupe.v1.ReleaseSession;
import troupe.v1.Weights;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;
import troupe.v1.WorkflowSpec;

/**
 * Which workers a workflow uses and what each holds: the one policy worker (its session carries the model from
 * stage to stage), the critic (PPO), the reference, and the weight version every rollout worker has loaded. Used by
 * the stage loops of one workflow, one stage at a time.
 */
final class WorkflowWorkers {
  private final String workflowId;
  private final WorkflowSpec spec;
  private final WorkerDirectory directory;
  final NodeDataPlane dataPlane;
  final WorkerClient client;
  private final Duration waitTimeout;
  private final BooleanSupplier cancelled;
  private final ActorSystem<?> system;
  private ActorRef<WorkerAsk> policy;
  private ActorRef<WorkerAsk> critic;
  private ActorRef<WorkerAsk> reference;
  private LoadWeights referenceWeights;
  private long policyVersion;
  private final Map<ActorRef<WorkerAsk>, Long> rolloutVersions = new HashMap<>();
  private final Set<ActorRef<WorkerAsk>> touched = new LinkedHashSet<>();
  private final Map<ActorRef<WorkerAsk>, Double> itemsPerSecond = new HashMap<>();
  private final Set<String> lostNodes = new HashSet<>();
  private final Set<WorkerRole> placed = java.util.EnumSet.noneOf(WorkerRole.class);
  private final Consumer<String> notices;
  final ShardStats shardStats = new ShardStats();

  WorkflowWorkers(String workflowId, WorkflowSpec spec, WorkerDirectory directory, NodeDataPlane dataPlane,
      ActorSystem<?> system, BooleanSupplier cancelled, Consumer<String> notices) {
    this.workflowId = workflowId;
    this.spec = spec;
    this.directory = directory;
    this.dataPlane = dataPlane;
    this.client = new WorkerClient(system, Duration.ofSeconds(spec.getRuntime().getAskTimeoutSeconds()), dataPlane,
        directory);
    this.waitTimeout = Duration.ofSeconds(spec.getRuntime().getWorkerWaitSeconds());
    this.cancelled = cancelled;
    this.system = system;
    this.notices = notices;
  }

  /** True once the node has begun to stop (Ctrl-C, SIGTERM, close): stages end at the next step boundary. */
  boolean stopping() {
    return org.apache.pekko.actor.CoordinatedShutdown.get(system).getShutdownReason().isPresent();
  }

  WorkerDirectory directory() {
    return directory;
  }

  /** A notice event of this workflow (a shard re-issued, a node lost). */
  void notice(String text) {
    notices.accept(text);
  }

  /** Says once per node that a node this workflow used is gone; its workers get no more work. */
  void nodeLost(String node) {
    if (lostNodes.add(node)) {
      notice("worker node " + node + " is unreachable (crashed, killed or cut off); its workers get no more work "
          + "and their shards go to other workers");
    }
  }

  /** Measured items per second of each worker in the pool; a worker not measured yet counts as the mean. */
  synchronized double[] throughput(List<ActorRef<WorkerAsk>> pool) {
    double known = itemsPerSecond.values().stream().mapToDouble(Double::doubleValue).average().orElse(1);
    return pool.stream().mapToDouble(w -> itemsPerSecond.getOrDefault(w, known)).toArray();
  }

  /** An exponential moving average, so a worker slowed by a neighbour on its host gets less work soon. */
  synchronized void recordThroughput(ActorRef<WorkerAsk> worker, double rate) {
    itemsPerSecond.merge(worker, rate, (old, now) -> 0.5 * old + 0.5 * now);
  }

  WorkerRequest.Builder request() {
    return WorkerRequest.newBuilder().setWorkflowId(workflowId);
  }

  /**
   * The workers of a role to use now: every registered one on a reachable node, or only those on the policy's
   * node when the role is colocated. The first time a role is needed, this waits for placement.min_workers of them
   * (default 1); after that one is enough, so the workflow goes on when a node is lost.
   */
  List<ActorRef<WorkerAsk>> await(WorkerRole role) {
    int min = placed.add(role) ? spec.getPlacement().getMinWorkersOrDefault(role.wireName, 1) : 1;
    try {
      List<ActorRef<WorkerAsk>> all = directory.await(role, min, waitTimeout, cancelled);
      if (role == WorkerRole.POLICY || !spec.getPlacement().getColocateList().contains(role.wireName)) {
        return all;
      }
      String policyNode = directory.node(policy());
      List<ActorRef<WorkerAsk>> local = all.stream().filter(w -> directory.node(w).equals(policyNode)).toList();
      if (local.isEmpty()) {
        throw new WorkerFailure("placement.colocate lists " + role.wireName + ", but no " + role.wireName
            + " worker runs on the policy's node " + policyNode + "; start one there with --roles policy,"
            + role.wireName);
      }
      return local;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StageCancelled("interrupted");
    }
  }

  private InitModel init() {
    InitModel.Builder init = InitModel.newBuilder().setSeed(spec.getSeed()).setDevice(spec.getRuntime().getDevice());
    return (spec.hasImageModel() ? init.setImageModel(spec.getImageModel()) : init.setModel(spec.getModel())).build();
  }

  /** The policy worker of this workflow, chosen once; its model is built from the spec on first use. */
  ActorRef<WorkerAsk> policy() {
    if (policy == null) {
      ActorRef<WorkerAsk> chosen = await(WorkerRole.POLICY).get(0);
      WorkerResponse r = client.ask(chosen, request().setInitModel(init()).build());
      touched.add(chosen);
      policy = chosen;
      policyVersion = r.getAck().getPolicyVersion();
    } else if (!directory.reachable(policy)) { // a policy that is leaving still serves until the stage moves it
      throw new WorkerFailure("policy worker " + policy.path() + " left the cluster; its model and optimizer are lost");
    }
    return policy;
  }

  long policyVersion() {
    return policyVersion;
  }

  void setPolicyVersion(long version) {
    policyVersion = version;
  }

  Weights exportPolicy() {
    return client.ask(policy(), request().setExportWeights(ExportWeights.getDefaultInstance()).build()).getWeights();
  }

  /**
   * A reference worker holding a frozen copy of the policy's current weights: the reference of the stage that
   * starts now. The weights stay published on the policy's node under their own slot, so that if the reference's
   * node is lost, {@link #askReference} sets up another reference worker with the same weights.
   */
  ActorRef<WorkerAsk> referenceOfPolicy() {
    referenceWeights = currentWeightsFor(await(WorkerRole.REFERENCE), "reference");
    reference = newReference();
    return reference;
  }

  private ActorRef<WorkerAsk> newReference() {
    ActorRef<WorkerAsk> ref = await(WorkerRole.REFERENCE).get(0);
    touched.add(ref);
    client.ask(ref, request().setInitModel(init()).build());
    client.ask(ref, request().setLoadWeights(referenceWeights).build());
    return ref;
  }

  /** Asks this stage's reference; a reference lost with its node is replaced once and asked again. */
  WorkerResponse askReference(WorkerRequest request) {
    try {
      return client.ask(reference, request);
    } catch (WorkerLost lost) {
      nodeLost(lost.node);
      notice("reference worker " + reference.path() + " lost; another one takes the stage's reference weights");
      reference = newReference();
      return client.ask(reference, request);
    }
  }

  /**
   * After a stage failed with {@code failure}: the loss of the policy's or the critic's node, if that is what
   * happened, else null. Each of them on another node is pinged; one whose node turns unreachable meanwhile (the
   * ask fails fast then) is lost, while one that answers, even with an error, or just is slow, is not.
   */
  StatefulWorkerLost statefulLoss(RuntimeException failure) {
    for (WorkerRole role : List.of(WorkerRole.POLICY, WorkerRole.CRITIC)) {
      ActorRef<WorkerAsk> worker = role == WorkerRole.POLICY ? policy : critic;
      if (worker == null || inThisJvm(worker)) {
        continue;
      }
      try {
        client.ask(worker, request().setPing(Ping.getDefaultInstance()).build());
      } catch (WorkerLost lost) {
        return new StatefulWorkerLost(role.wireName, lost.node, failure);
      } catch (WorkerFailure alive) {
        // an answer or a timeout: no sign that the node is gone
      }
    }
    return null;
  }

  /**
   * Forgets the workers of a lost node that hold state (the next stage places a new policy or critic on a node that
   * is left) and what every rollout worker holds (the policy goes back to an older version).
   */
  void forgetNode(String node) {
    lostNodes.add(node);
    if (policy != null && directory.node(policy).equals(node)) {
      release(policy); // a node that is leaving waits for this; a lost one does not answer
      policy = null;
    }
    if (critic != null && directory.node(critic).equals(node)) {
      release(critic);
      critic = null;
    }
    rolloutVersions.clear();
  }

  /**
   * This workflow's policy or critic whose node is stopping gracefully (it left the Receptionist but still
   * answers), as the failure that moves it to another node; null if neither is leaving.
   */
  StatefulWorkerLost leaving() {
    if (policy != null && directory.leaving(WorkerRole.POLICY, policy)) {
      return StatefulWorkerLost.leaving(WorkerRole.POLICY.wireName, directory.node(policy));
    }
    if (critic != null && directory.leaving(WorkerRole.CRITIC, critic)) {
      return StatefulWorkerLost.leaving(WorkerRole.CRITIC.wireName, directory.node(critic));
    }
    return null;
  }

  /** True for a worker in this JVM: messages to it are passed as objects, never serialized. */
  static boolean inThisJvm(ActorRef<?> worker) {
    return !worker.path().address().hasGlobalScope();
  }

  /**
   * How the policy's current weights reach these readers. All in this JVM with the policy: the weights object
   * itself. Otherwise the policy publishes them on its node's data plane: readers on the policy's node take the
   * object from there, readers elsewhere fetch the bytes in checked chunks straight from the policy's node.
   */
  private LoadWeights currentWeightsFor(List<ActorRef<WorkerAsk>> readers, String slot) {
    ActorRef<WorkerAsk> policy = policy();
    if (inThisJvm(policy) && readers.stream().allMatch(WorkflowWorkers::inThisJvm)) {
      return LoadWeights.newBuilder().setWeights(exportPolicy()).build();
    }
    String policyNode = directory.node(policy);
    // The reference copy may have to be set up again on any node later, so its bytes are always published.
    boolean serialize = slot.equals("reference")
        || readers.stream().anyMatch(r -> !directory.node(r).equals(policyNode));
    BlobRef ref = client.ask(policy, request().setExportWeights(ExportWeights.newBuilder().setPublish(true)
        .setSerialize(serialize).setSlot(slot)).build()).getBlob();
    return LoadWeights.newBuilder().setWeightsRef(ref).build();
  }

  /**
   * A critic worker holding a fresh value model for this stage (the worker chosen before while it is still there;
   * init_model replaces its session). Given policy weights, the critic's transformer starts as a copy of them
   * (load_weights with backbone_only) and only the value head is new; null gives a fresh transformer as well.
   */
  ActorRef<WorkerAsk> critic(Weights policyWeightsOrNull) {
    ActorRef<WorkerAsk> chosen = critic != null && directory.workers(WorkerRole.CRITIC).contains(critic)
        ? critic : await(WorkerRole.CRITIC).get(0);
    touched.add(chosen);
    client.ask(chosen, request().setInitModel(init()).build());
    if (critic != null && !critic.equals(chosen)) {
      release(critic); // the critic before (e.g. on a node that is leaving) is never asked again
    }
    if (policyWeightsOrNull != null) {
      client.ask(chosen, request().setLoadWeights(
          LoadWeights.newBuilder().setWeights(policyWeightsOrNull).setBackboneOnly(true)).build());
    }
    critic = chosen;
    return chosen;
  }

  /** The critic chosen by {@link #critic(Weights)}; fails if there is none yet or its worker left the cluster. */
  ActorRef<WorkerAsk> critic() {
    if (critic == null) {
      throw new WorkerFailure("workflow " + workflowId + " has no critic worker yet: critic(weights) comes first");
    }
    if (!directory.reachable(critic)) {
      throw new WorkerFailure("critic worker " + critic.path() + " left the cluster; its value model and optimizer "
          + "are lost");
    }
    return critic;
  }

  /**
   * Every usable rollout worker, each holding the policy's current weights. New workers get a model first; weights
   * are exported from the policy only when some worker is behind. A worker that fails to take its model or weights
   * (an error, a timeout, its node unreachable) sits out this step with a notice, as long as another one remains.
   */
  List<ActorRef<WorkerAsk>> rolloutsAtPolicyVersion() {
    List<ActorRef<WorkerAsk>> workers = await(WorkerRole.ROLLOUT);
    for (ActorRef<WorkerAsk> gone : rolloutVersions.keySet()) {
      if (!workers.contains(gone) && !directory.reachable(gone)) {
        nodeLost(directory.node(gone));
      }
    }
    rolloutVersions.keySet().retainAll(workers);
    Map<ActorRef<WorkerAsk>, CompletableFuture<WorkerResponse>> inits = new java.util.LinkedHashMap<>();
    for (ActorRef<WorkerAsk> w : workers) {
      if (!rolloutVersions.containsKey(w)) {
        touched.add(w);
        inits.put(w, client.askAsync(w, request().setInitModel(init()).build()));
      }
    }
    List<String> errors = new ArrayList<>();
    List<ActorRef<WorkerAsk>> usable = new ArrayList<>(workers);
    usable.removeAll(failures(inits, errors));
    inits.keySet().stream().filter(usable::contains).forEach(w -> rolloutVersions.put(w, -1L));
    List<ActorRef<WorkerAsk>> stale = usable.stream().filter(w -> rolloutVersions.get(w) != policyVersion).toList();
    if (!stale.isEmpty()) {
      LoadWeights weights = currentWeightsFor(stale, "weights");
      long version = weights.hasWeightsRef() ? weights.getWeightsRef().getVersion() : weights.getWeights().getVersion();
      Map<ActorRef<WorkerAsk>, CompletableFuture<WorkerResponse>> loads = new java.util.LinkedHashMap<>();
      for (ActorRef<WorkerAsk> w : stale) {
        loads.put(w, client.askAsync(w, request().setLoadWeights(weights).build()).thenApply(r -> {
          if (r.getAck().getPolicyVersion() != version) {
            throw new WorkerFailure("worker " + w.path() + " holds version " + r.getAck().getPolicyVersion()
                + " after loading version " + version);
          }
          return r;
        }));
      }
      List<ActorRef<WorkerAsk>> failed = failures(loads, errors);
      usable.removeAll(failed);
      rolloutVersions.keySet().removeAll(failed); // set up again from scratch if they come back
      stale.stream().filter(usable::contains).forEach(w -> rolloutVersions.put(w, version));
    }
    if (usable.isEmpty()) {
      throw new WorkerFailure("no rollout worker could take the policy's model: " + String.join("; ", errors));
    }
    if (!errors.isEmpty()) {
      notice("rollout worker(s) left out of this step: " + String.join("; ", errors));
    }
    return usable;
  }

  /**
   * Waits for the asks and returns the workers whose ask failed, adding each cause to {@code errors}. A worker on a
   * node that becomes unreachable meanwhile counts as failed at once instead of after the ask timeout.
   */
  private List<ActorRef<WorkerAsk>> failures(Map<ActorRef<WorkerAsk>, CompletableFuture<WorkerResponse>> asks,
      List<String> errors) {
    List<ActorRef<WorkerAsk>> failed = new ArrayList<>();
    Map<ActorRef<WorkerAsk>, CompletableFuture<WorkerResponse>> open = new java.util.LinkedHashMap<>(asks);
    while (!open.isEmpty()) {
      try {
        CompletableFuture.anyOf(open.values().toArray(CompletableFuture[]::new)).get(250, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // a tick, or a failure read below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StageCancelled("interrupted");
      }
      for (var it = open.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        ActorRef<WorkerAsk> w = e.getKey();
        String error = null;
        if (e.getValue().isDone()) {
          try {
            e.getValue().join();
          } catch (RuntimeException failure) {
            error = (failure.getCause() != null ? failure.getCause() : failure).getMessage();
          }
        } else if (!directory.reachable(w)) {
          nodeLost(directory.node(w));
          error = "worker " + w.path() + ": its node " + directory.node(w) + " is unreachable";
        } else {
          continue;
        }
        it.remove();
        if (error != null) {
          failed.add(w);
          errors.add(error);
        }
      }
    }
    return failed;
  }

  List<ActorRef<WorkerAsk>> rewards() {
    List<ActorRef<WorkerAsk>> workers = await(WorkerRole.REWARD);
    for (ActorRef<WorkerAsk> used : touched) {
      if (!directory.reachable(used)) {
        nodeLost(directory.node(used));
      }
    }
    touched.addAll(workers);
    return workers;
  }

  /** Frees this workflow's models on every worker it used; fire-and-forget, the workflow has already ended. */
  void release() {
    touched.forEach(this::release);
  }

  private void release(ActorRef<WorkerAsk> worker) {
    client.askAsync(worker, request().setRelease(ReleaseSession.getDefaultInstance()).build()).exceptionally(e -> null);
  }
}
