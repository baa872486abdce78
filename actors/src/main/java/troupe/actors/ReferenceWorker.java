package troupe.actors;

import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import troupe.diffusion.policy.ImageModel;
import troupe.trainers.policy.LanguageModel;
import troupe.trainers.policy.VersionedModel;
import troupe.v1.FloatList;
import troupe.v1.InitModel;
import troupe.v1.LogProbsResponse;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * A frozen copy of the policy as it was when an RL stage began: reference log-probs for language models, reference
 * SDE means for image models.
 */
public final class ReferenceWorker {
  private ReferenceWorker() {}

  public static Behavior<WorkerAsk> create(NodeDataPlane dataPlane) {
    return Workers.behavior(WorkerRole.REFERENCE, name -> new ModelHandler(dataPlane) {
      @Override
      WorkerResponse.Builder serve(VersionedModel model, WorkerRequest request) {
        return switch (request.getKindCase()) {
          case LOG_PROBS -> {
            var lp = request.getLogProbs();
            yield WorkerResponse.newBuilder().setLogProbs(toResponse(Workers.as(model, LanguageModel.class, request)
                .logProbs(lp.getSequencesList(), lp.getTemperature(), 0)));
          }
          case FLOW_MEANS -> WorkerResponse.newBuilder()
              .setFlowMeans(Workers.as(model, ImageModel.class, request).means(request.getFlowMeans()));
          default -> throw Workers.unsupported(WorkerRole.REFERENCE, request);
        };
      }
    });
  }

  static LogProbsResponse toResponse(List<float[]> rows) {
    LogProbsResponse.Builder b = LogProbsResponse.newBuilder();
    for (float[] row : rows) {
      FloatList.Builder f = FloatList.newBuilder();
      for (float v : row) {
        f.addValues(v);
      }
      b.addLogProbs(f);
    }
    return b.build();
  }

  /**
   * Session handling shared by the inference roles (reference, rollout): init, load weights (given, or fetched
   * whole and checked from the policy's data plane before any is copied in), release.
   */
  abstract static class ModelHandler implements Workers.Handler {
    private final Sessions<VersionedModel> sessions = new Sessions<>();
    final NodeDataPlane dataPlane;

    ModelHandler(NodeDataPlane dataPlane) {
      this.dataPlane = dataPlane;
    }

    abstract WorkerResponse.Builder serve(VersionedModel model, WorkerRequest request) throws Exception;

    @Override
    public WorkerResponse.Builder handle(WorkerRequest request) throws Exception {
      String id = request.getWorkflowId();
      switch (request.getKindCase()) {
        case INIT_MODEL -> {
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
      VersionedModel model = sessions.require(request);
      if (request.getKindCase() == WorkerRequest.KindCase.LOAD_WEIGHTS) {
        var load = request.getLoadWeights();
        model.loadWeights(load.hasWeightsRef() ? dataPlane.weights(load.getWeightsRef()) : load.getWeights());
        return Workers.ack(model.version());
      }
      return serve(model, request);
    }

    private static VersionedModel create(InitModel init) {
      return init.hasImageModel()
          ? new ImageModel(init.getImageModel(), Workers.imageVocabulary(), init.getSeed(), init.getDevice())
          : new LanguageModel(init.getModel(), init.getSeed(), init.getDevice());
    }
  }
}
