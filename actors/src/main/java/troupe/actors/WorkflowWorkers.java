package troupe.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import troupe.v1.ExportWeights;
import troupe.v1.InitModel;
import troupe.v1.LoadWeights;
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
  final WorkerClient client;
  private final Duration waitTimeout;
  private final BooleanSupplier cancelled;
  private ActorRef<WorkerAsk> policy;
  private ActorRef<WorkerAsk> critic;
  private long policyVersion;
  private final Map<ActorRef<WorkerAsk>, Long> rolloutVersions = new HashMap<>();
  private final Set<ActorRef<WorkerAsk>> touched = new LinkedHashSet<>();

  WorkflowWorkers(String workflowId, WorkflowSpec spec, WorkerDirectory directory, ActorSystem<?> system,
      BooleanSupplier cancelled) {
    this.workflowId = workflowId;
    this.spec = spec;
    this.directory = directory;
    this.client = new WorkerClient(system, Duration.ofSeconds(spec.getRuntime().getAskTimeoutSeconds()));
    this.waitTimeout = Duration.ofSeconds(spec.getRuntime().getWorkerWaitSeconds());
    this.cancelled = cancelled;
  }

  WorkerRequest.Builder request() {
    return WorkerRequest.newBuilder().setWorkflowId(workflowId);
  }

  List<ActorRef<WorkerAsk>> await(WorkerRole role) {
    try {
      return directory.await(role, 1, waitTimeout, cancelled);
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
    } else if (!directory.workers(WorkerRole.POLICY).contains(policy)) {
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

  /** A reference worker holding a fresh frozen copy of the given weights. */
  ActorRef<WorkerAsk> reference(Weights weights) {
    ActorRef<WorkerAsk> ref = await(WorkerRole.REFERENCE).get(0);
    touched.add(ref);
    client.ask(ref, request().setInitModel(init()).build());
    client.ask(ref, request().setLoadWeights(LoadWeights.newBuilder().setWeights(weights)).build());
    return ref;
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
    if (!directory.workers(WorkerRole.CRITIC).contains(critic)) {
      throw new WorkerFailure("critic worker " + critic.path() + " left the cluster; its value model and optimizer "
          + "are lost");
    }
    return critic;
  }

  /**
   * Every rollout worker registered now, each holding the policy's current weights. New workers get a model
   * first; weights are exported from the policy only when some worker is behind.
   */
  List<ActorRef<WorkerAsk>> rolloutsAtPolicyVersion() {
    List<ActorRef<WorkerAsk>> workers = await(WorkerRole.ROLLOUT);
    rolloutVersions.keySet().retainAll(workers);
    List<ActorRef<WorkerAsk>> stale = new ArrayList<>();
    for (ActorRef<WorkerAsk> w : workers) {
      if (!rolloutVersions.containsKey(w)) {
        client.ask(w, request().setInitModel(init()).build());
        touched.add(w);
        rolloutVersions.put(w, -1L);
      }
      if (rolloutVersions.get(w) != policyVersion) {
        stale.add(w);
      }
    }
    if (!stale.isEmpty()) {
      Weights weights = exportPolicy();
      WorkerRequest load = request().setLoadWeights(LoadWeights.newBuilder().setWeights(weights)).build();
      List<CompletableFuture<WorkerResponse>> asks = new ArrayList<>();
      for (ActorRef<WorkerAsk> w : stale) {
        asks.add(client.askAsync(w, load));
      }
      WorkerClient.joinAll(asks);
      for (ActorRef<WorkerAsk> w : stale) {
        rolloutVersions.put(w, weights.getVersion());
      }
    }
    return workers;
  }

  List<ActorRef<WorkerAsk>> rewards() {
    List<ActorRef<WorkerAsk>> workers = await(WorkerRole.REWARD);
    touched.addAll(workers);
    return workers;
  }

  /** Frees this workflow's models on every worker it used; fire-and-forget, the workflow has already ended. */
  void release() {
    WorkerRequest release = request().setRelease(ReleaseSession.getDefaultInstance()).build();
    for (ActorRef<WorkerAsk> w : touched) {
      client.askAsync(w, release).exceptionally(e -> null);
    }
  }
}
