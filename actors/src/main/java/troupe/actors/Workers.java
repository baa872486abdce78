package troupe.actors;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import troupe.v1.ReleaseSession;
import troupe.v1.WorkerError;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * The shared shape of every worker actor: register under the role's key, answer each {@link WorkerAsk} with the
 * handler's response, and turn any exception into a {@link WorkerError} so the orchestrator always gets an answer
 * that names this worker. Workers are spawned on the compute dispatcher, so blocking model code is fine here.
 */
final class Workers {
  private static final Logger LOG = LoggerFactory.getLogger(Workers.class);

  private Workers() {}

  /** Handles one request; returns the response without the worker name, which is added here. */
  interface Handler {
    WorkerResponse.Builder handle(WorkerRequest request) throws Exception;
  }

  static Behavior<WorkerAsk> behavior(WorkerRole role, Function<String, Handler> handlerFor) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(role.key, ctx.getSelf()));
      String name = ctx.getSelf().path().toStringWithAddress(ctx.getSystem().address());
      Handler handler = handlerFor.apply(name);
      Set<String> workflows = new LinkedHashSet<>(); // that may hold a session here
      return Behaviors.receive(WorkerAsk.class)
          .onMessage(WorkerAsk.class, ask -> {
            WorkerRequest request = ask.request();
            if (request.hasRelease()) {
              workflows.remove(request.getWorkflowId());
            } else if (!request.hasPing()) {
              workflows.add(request.getWorkflowId());
            }
            ask.replyTo().tell(answer(handler, request, name));
            return Behaviors.same();
          })
          .onSignal(PostStop.class, stopped -> {
            // The actor system ends (the node stops, or a worker node leaves to join its server again): the models
            // live in native memory, which nothing frees but a release.
            for (String id : workflows) {
              answer(handler, WorkerRequest.newBuilder().setWorkflowId(id)
                  .setRelease(ReleaseSession.getDefaultInstance()).build(), name);
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  static WorkerResponse answer(Handler handler, WorkerRequest request, String name) {
    if (request.hasPing()) {
      return ack(0).setWorker(name).build();
    }
    try {
      return handler.handle(request).setWorker(name).build();
    } catch (Exception | Error e) { // an Error too: the orchestrator must hear of it rather than time out
      String cause = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      LOG.warn("worker {} failed on {}: {}", name, request.getKindCase(), cause, e);
      return WorkerResponse.newBuilder().setWorker(name)
          .setError(WorkerError.newBuilder().setMessage(request.getKindCase().name().toLowerCase() + ": " + cause))
          .build();
    }
  }

  static WorkerResponse.Builder ack(long version) {
    return WorkerResponse.newBuilder().setAck(troupe.v1.Ack.newBuilder().setPolicyVersion(version));
  }

  /** The session as the model type a request needs, or an error naming both kinds. */
  static <T> T as(Object session, Class<T> type, WorkerRequest request) {
    if (!type.isInstance(session)) {
      throw new IllegalArgumentException("workflow " + request.getWorkflowId() + " holds a "
          + session.getClass().getSimpleName() + " here, but " + request.getKindCase().name().toLowerCase()
          + " needs a " + type.getSimpleName());
    }
    return type.cast(session);
  }

  /** The prompt vocabulary of image models: the words of the shapes grammar, fixed for every worker. */
  static java.util.List<String> imageVocabulary() {
    return troupe.diffusion.shapes.ShapesWorld.VOCABULARY;
  }

  static IllegalArgumentException unsupported(WorkerRole role, WorkerRequest request) {
    return new IllegalArgumentException("a " + role.wireName + " worker does not handle " + request.getKindCase());
  }

  static IllegalStateException noSession(WorkerRequest request) {
    return new IllegalStateException("no model for workflow " + request.getWorkflowId()
        + " on this worker; init_model must come first");
  }
}
