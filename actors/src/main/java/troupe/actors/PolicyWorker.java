package troupe.actors;

import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import troupe.trainers.policy.PolicyTrainer;
import troupe.v1.InitModel;
import troupe.v1.TrainStepRequest;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/** Owns the trainable model and its optimizer, one session per workflow: train steps, weight export, checkpoints. */
public final class PolicyWorker {
  private PolicyWorker() {}

  public static Behavior<WorkerAsk> create() {
    return Workers.behavior(WorkerRole.POLICY, name -> new Handler());
  }

  private static PolicyTrainer create(InitModel init) {
    PolicyTrainer policy = new PolicyTrainer(init.getModel(), init.getSeed(), init.getDevice());
    if (!init.getModel().getInitCheckpoint().isEmpty()) {
      try {
        policy.loadCheckpoint(Path.of(init.getModel().getInitCheckpoint()));
      } catch (java.io.IOException e) {
        policy.close();
        throw new java.io.UncheckedIOException(e.getMessage(), e);
      }
    }
    return policy;
  }

  private static final class Handler implements Workers.Handler {
    private final Sessions<PolicyTrainer> sessions = new Sessions<>();

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
          return Workers.ack(0);
        }
        default -> { }
      }
      PolicyTrainer policy = sessions.require(request);
      switch (request.getKindCase()) {
        case TRAIN_STEP -> {
          TrainStepRequest step = request.getTrainStep();
          var response = switch (step.getKindCase()) {
            case SFT -> policy.sftStep(step.getSft(), step.getOptimizer(), step.getMicroBatchSize());
            case GRPO -> policy.grpoStep(step.getGrpo(), step.getOptimizer(), step.getMicroBatchSize());
            default -> throw new IllegalArgumentException("train_step without a batch (sft or grpo)");
          };
          return WorkerResponse.newBuilder().setTrained(response);
        }
        case EXPORT_WEIGHTS -> {
          return WorkerResponse.newBuilder().setWeights(policy.exportWeights());
        }
        case LOAD_WEIGHTS -> {
          policy.loadWeights(request.getLoadWeights().getWeights());
          return Workers.ack(policy.version());
        }
        case LOG_PROBS -> {
          var lp = request.getLogProbs();
          return WorkerResponse.newBuilder().setLogProbs(
              ReferenceWorker.toResponse(policy.logProbs(lp.getSequencesList(), lp.getTemperature(), 0)));
        }
        case SAVE_CHECKPOINT -> {
          policy.saveCheckpoint(Path.of(request.getSaveCheckpoint().getPath()), Map.of("workflow_id", id));
          return Workers.ack(policy.version());
        }
        default -> throw Workers.unsupported(WorkerRole.POLICY, request);
      }
    }
  }
}
