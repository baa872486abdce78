package troupe.actors;

import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import troupe.trainers.policy.ValueModel;
import troupe.v1.Values;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * PPO's critic, one value model and optimizer per workflow: values of rollouts, value-loss train steps, weight
 * loading (a policy's transformer as the starting point), checkpoints.
 */
public final class CriticWorker {
  private CriticWorker() {}

  public static Behavior<WorkerAsk> create() {
    return Workers.behavior(WorkerRole.CRITIC, name -> new Handler());
  }

  private static final class Handler implements Workers.Handler {
    private final Sessions<ValueModel> sessions = new Sessions<>();

    @Override
    public WorkerResponse.Builder handle(WorkerRequest request) throws Exception {
      String id = request.getWorkflowId();
      switch (request.getKindCase()) {
        case INIT_MODEL -> { // a fresh critic for each stage that asks for one
          var init = request.getInitModel();
          sessions.replace(id, new ValueModel(init.getModel(), init.getSeed(), init.getDevice()));
          return Workers.ack(0);
        }
        case RELEASE -> {
          sessions.release(id);
          return Workers.ack(0);
        }
        default -> { }
      }
      ValueModel critic = sessions.require(request);
      switch (request.getKindCase()) {
        case VALUES -> {
          return WorkerResponse.newBuilder().setValues(Values.newBuilder().addAllValues(
              ReferenceWorker.toResponse(critic.values(request.getValues().getSequencesList(), 0)).getLogProbsList()));
        }
        case TRAIN_STEP -> {
          var step = request.getTrainStep();
          if (!step.hasCritic()) {
            throw new IllegalArgumentException("a critic worker trains only critic batches, got " + step.getKindCase());
          }
          return WorkerResponse.newBuilder().setTrained(
              critic.trainStep(step.getCritic(), step.getOptimizer(), step.getMicroBatchSize()));
        }
        case LOAD_WEIGHTS -> {
          critic.loadWeights(request.getLoadWeights().getWeights(), request.getLoadWeights().getBackboneOnly());
          return Workers.ack(critic.version());
        }
        case EXPORT_WEIGHTS -> {
          return WorkerResponse.newBuilder().setWeights(critic.exportWeights());
        }
        case SAVE_CHECKPOINT -> {
          critic.saveCheckpoint(Path.of(request.getSaveCheckpoint().getPath()), Map.of("workflow_id", id));
          return Workers.ack(critic.version());
        }
        default -> throw Workers.unsupported(WorkerRole.CRITIC, request);
      }
    }
  }
}
