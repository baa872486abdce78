package troupe.actors;

import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import troupe.diffusion.policy.ImageTrainer;
import troupe.trainers.policy.FullCheckpoint;
import troupe.trainers.policy.PolicyTrainer;
import troupe.trainers.policy.VersionedModel;
import troupe.v1.BlobRef;
import troupe.v1.InitModel;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * Owns the trainable model and its optimizer, one session per workflow: a language policy or an image policy.
 * Train steps, weight export, checkpoints.
 */
public final class PolicyWorker {
  private PolicyWorker() {}

  public static Behavior<WorkerAsk> create(NodeDataPlane dataPlane, Drain drain) {
    return Workers.behavior(WorkerRole.POLICY, name -> new Handler(dataPlane, drain.track(new Sessions<>())));
  }

  private static VersionedModel create(InitModel init) {
    String checkpoint;
    VersionedModel policy;
    if (init.hasImageModel()) {
      policy = new ImageTrainer(init.getImageModel(), Workers.imageVocabulary(), init.getSeed(), init.getDevice());
      checkpoint = init.getImageModel().getInitCheckpoint();
    } else {
      policy = new PolicyTrainer(init.getModel(), init.getSeed(), init.getDevice());
      checkpoint = init.getModel().getInitCheckpoint();
    }
    if (!checkpoint.isEmpty()) {
      try {
        policy.loadCheckpoint(Path.of(checkpoint));
      } catch (java.io.IOException | RuntimeException e) {
        policy.close();
        throw new IllegalArgumentException("cannot load init_checkpoint " + checkpoint + ": " + e.getMessage(), e);
      }
    }
    return policy;
  }

  private static final class Handler implements Workers.Handler {
    private final Sessions<VersionedModel> sessions;
    private final NodeDataPlane dataPlane;

    Handler(NodeDataPlane dataPlane, Sessions<VersionedModel> sessions) {
      this.dataPlane = dataPlane;
      this.sessions = sessions;
    }

    @Override
    public WorkerResponse.Builder handle(WorkerRequest request) throws Exception {
      String id = request.getWorkflowId();
      switch (request.getKindCase()) {
        case INIT_MODEL -> {
          // Idempotent: later stages of a workflow find the policy where the previous stage left it.
          return Workers.ack(sessions.open(id, () -> create(request.getInitModel())).version());
        }
        case RELEASE -> {
          sessions.release(id);
          dataPlane.release(id);
          return Workers.ack(0);
        }
        default -> { }
      }
      VersionedModel policy = sessions.require(request);
      switch (request.getKindCase()) {
        case TRAIN_STEP -> {
          return WorkerResponse.newBuilder().setTrained(train(policy, request));
        }
        case EXPORT_WEIGHTS -> {
          var export = request.getExportWeights();
          return export.getPublish()
              ? WorkerResponse.newBuilder().setBlob(dataPlane.publishWeights(id, export.getSlot().isEmpty()
                  ? "weights" : export.getSlot(), policy.exportWeights(), export.getSerialize()))
              : WorkerResponse.newBuilder().setWeights(policy.exportWeights());
        }
        case LOAD_WEIGHTS -> {
          policy.loadWeights(request.getLoadWeights().getWeights());
          return Workers.ack(policy.version());
        }
        case LOG_PROBS -> {
          var lp = request.getLogProbs();
          return WorkerResponse.newBuilder().setLogProbs(ReferenceWorker.toResponse(
              Workers.as(policy, PolicyTrainer.class, request).logProbs(lp.getSequencesList(), lp.getTemperature(), 0)));
        }
        case SAVE_CHECKPOINT -> {
          if (request.getSaveCheckpoint().getFull()) {
            return FolderBundle.save(request.getSaveCheckpoint(), dataPlane, id + "/full-policy", policy.version(),
                Workers.as(policy, FullCheckpoint.class, request)::saveFull);
          }
          if (request.getSaveCheckpoint().getPublish()) {
            return WorkerResponse.newBuilder().setBlob(publishCheckpoint(policy, id));
          }
          policy.saveCheckpoint(Path.of(request.getSaveCheckpoint().getPath()), Map.of("workflow_id", id));
          return Workers.ack(policy.version());
        }
        case LOAD_CHECKPOINT -> {
          FolderBundle.load(request.getLoadCheckpoint(), dataPlane,
              Workers.as(policy, FullCheckpoint.class, request)::loadFull);
          return Workers.ack(policy.version());
        }
        default -> throw Workers.unsupported(WorkerRole.POLICY, request);
      }
    }

    /** The checkpoint's bytes on this node's data plane, for an orchestrator on another node to fetch and store. */
    private BlobRef publishCheckpoint(VersionedModel policy, String id) throws java.io.IOException {
      Path file = java.nio.file.Files.createTempFile("troupe-checkpoint-", ".safetensors");
      try {
        policy.saveCheckpoint(file, Map.of("workflow_id", id));
        return dataPlane.publish(id + "/checkpoint", policy.version(), java.nio.file.Files.readAllBytes(file));
      } finally {
        java.nio.file.Files.deleteIfExists(file);
      }
    }

    private static TrainStepResponse train(VersionedModel policy, WorkerRequest request) {
      TrainStepRequest step = request.getTrainStep();
      return switch (step.getKindCase()) {
        case SFT -> Workers.as(policy, PolicyTrainer.class, request)
            .sftStep(step.getSft(), step.getOptimizer(), step.getMicroBatchSize());
        case GRPO -> Workers.as(policy, PolicyTrainer.class, request)
            .rlStep(step.getGrpo(), step.getOptimizer(), step.getMicroBatchSize());
        case PREFERENCE -> Workers.as(policy, PolicyTrainer.class, request)
            .preferenceStep(step.getPreference(), step.getOptimizer());
        case FLOW_PRETRAIN -> Workers.as(policy, ImageTrainer.class, request)
            .pretrainStep(step.getFlowPretrain(), step.getOptimizer());
        case FLOW_GRPO -> Workers.as(policy, ImageTrainer.class, request)
            .grpoStep(step.getFlowGrpo(), step.getOptimizer());
        default -> throw new IllegalArgumentException(
            "train_step without a batch (one of sft, grpo, preference, flow_pretrain, flow_grpo)");
      };
    }
  }
}
