package troupe.actors;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import troupe.trainers.policy.ValueModel;
import troupe.v1.FloatList;
import troupe.v1.InitModel;
import troupe.v1.TrainStepRequest;
import troupe.v1.Values;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * Owns the PPO critic or a reward model in training (a {@link ValueModel} and its optimizer), one session per
 * workflow: values for GAE, critic and Bradley-Terry train steps, weight export, checkpoints, and full checkpoints
 * (weights, optimizer, version) for resume points. {@code init_model} starts a fresh critic (a stage's critic_init);
 * its transformer usually comes from the policy's weights ({@code load_weights} with {@code backbone_only}), and
 * the value head starts at zero.
 */
public final class CriticWorker {
  private CriticWorker() {}

  public static Behavior<WorkerAsk> create(NodeDataPlane dataPlane, Drain drain) {
    return Workers.behavior(WorkerRole.CRITIC, name -> new Handler(dataPlane, drain.track(new Sessions<>())));
  }

  /** A fresh critic of the spec's architecture; init_checkpoint is a policy's, so it comes via backbone_only. */
  private static ValueModel create(InitModel init) {
    if (init.hasImageModel()) {
      throw new IllegalArgumentException("the critic values language-model rollouts; image workflows have none");
    }
    return new ValueModel(init.getModel(), init.getSeed(), init.getDevice());
  }

  static Values toValues(List<float[]> rows) {
    Values.Builder b = Values.newBuilder();
    for (float[] row : rows) {
      FloatList.Builder f = FloatList.newBuilder();
      for (float v : row) {
        f.addValues(v);
      }
      b.addValues(f);
    }
    return b.build();
  }

  private static final class Handler implements Workers.Handler {
    private final Sessions<ValueModel> sessions;
    private final NodeDataPlane dataPlane; // full checkpoints for an orchestrator on another node

    Handler(NodeDataPlane dataPlane, Sessions<ValueModel> sessions) {
      this.dataPlane = dataPlane;
      this.sessions = sessions;
    }

    @Override
    public WorkerResponse.Builder handle(WorkerRequest request) throws Exception {
      String id = request.getWorkflowId();
      switch (request.getKindCase()) {
        case INIT_MODEL -> {
          // A fresh critic (and optimizer) for each stage that asks for one: RlStage's critic_init policy | fresh.
          sessions.replace(id, create(request.getInitModel()));
          return Workers.ack(0);
        }
        case RELEASE -> {
          sessions.release(id);
          dataPlane.release(id);
          return Workers.ack(0);
        }
        default -> { }
      }
      ValueModel critic = sessions.require(request);
      switch (request.getKindCase()) {
        case VALUES -> {
          return WorkerResponse.newBuilder()
              .setValues(toValues(critic.values(request.getValues().getSequencesList(), 0)));
        }
        case TRAIN_STEP -> {
          TrainStepRequest step = request.getTrainStep();
          return WorkerResponse.newBuilder().setTrained(switch (step.getKindCase()) {
            case CRITIC -> critic.trainStep(step.getCritic(), step.getOptimizer(), step.getMicroBatchSize());
            case PREFERENCE -> critic.pairwiseStep(step.getPreference(), step.getOptimizer()); // a reward model
            default -> throw new IllegalArgumentException("a critic worker trains on a critic or a preference "
                + "batch, got " + step.getKindCase().name().toLowerCase());
          });
        }
        case LOAD_WEIGHTS -> {
          critic.loadWeights(request.getLoadWeights().getWeights(), request.getLoadWeights().getBackboneOnly());
          return Workers.ack(critic.version());
        }
        case EXPORT_WEIGHTS -> {
          return WorkerResponse.newBuilder().setWeights(critic.exportWeights());
        }
        case SAVE_CHECKPOINT -> {
          if (request.getSaveCheckpoint().getFull()) { // into a resume point's folder, beside the policy's files
            return FolderBundle.save(request.getSaveCheckpoint(), dataPlane, id + "/full-critic", critic.version(),
                critic::saveFull);
          }
          critic.saveCheckpoint(Path.of(request.getSaveCheckpoint().getPath()), Map.of("workflow_id", id,
              "role", WorkerRole.CRITIC.wireName));
          return Workers.ack(critic.version());
        }
        case LOAD_CHECKPOINT -> {
          FolderBundle.load(request.getLoadCheckpoint(), dataPlane, critic::loadFull);
          return Workers.ack(critic.version());
        }
        default -> throw Workers.unsupported(WorkerRole.CRITIC, request);
      }
    }
  }
}
