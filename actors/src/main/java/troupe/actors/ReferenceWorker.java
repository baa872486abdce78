package troupe.actors;

import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import troupe.trainers.policy.LanguageModel;
import troupe.v1.FloatList;
import troupe.v1.LogProbsResponse;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/** A frozen copy of the policy as it was when an RL stage began; answers reference log-probs. */
public final class ReferenceWorker {
  private ReferenceWorker() {}

  public static Behavior<WorkerAsk> create() {
    return Workers.behavior(WorkerRole.REFERENCE, name -> new ModelHandler() {
      @Override
      WorkerResponse.Builder serve(LanguageModel model, WorkerRequest request) {
        if (request.getKindCase() != WorkerRequest.KindCase.LOG_PROBS) {
          throw Workers.unsupported(WorkerRole.REFERENCE, request);
        }
        var lp = request.getLogProbs();
        return WorkerResponse.newBuilder()
            .setLogProbs(toResponse(model.logProbs(lp.getSequencesList(), lp.getTemperature(), 0)));
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

  /** Session handling shared by the inference roles (reference, rollout): init, load weights, release. */
  abstract static class ModelHandler implements Workers.Handler {
    private final Sessions<LanguageModel> sessions = new Sessions<>();

    abstract WorkerResponse.Builder serve(LanguageModel model, WorkerRequest request) throws Exception;

    @Override
    public WorkerResponse.Builder handle(WorkerRequest request) throws Exception {
      String id = request.getWorkflowId();
      switch (request.getKindCase()) {
        case INIT_MODEL -> {
          var init = request.getInitModel();
          sessions.replace(id, new LanguageModel(init.getModel(), init.getSeed(), init.getDevice()));
          return Workers.ack(0);
        }
        case RELEASE -> {
          sessions.release(id);
          return Workers.ack(0);
        }
        default -> { }
      }
      LanguageModel model = sessions.require(request);
      if (request.getKindCase() == WorkerRequest.KindCase.LOAD_WEIGHTS) {
        // All tensors are decoded before any is copied in, so a bad message never leaves a half-loaded model.
        model.loadWeights(request.getLoadWeights().getWeights());
        return Workers.ack(model.version());
      }
      return serve(model, request);
    }
  }
}
