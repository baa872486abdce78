package troupe.actors;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import troupe.v1.WorkflowEvent;

/** Hands a workflow's events to a plain Java listener (a gRPC stream) and stops after the terminal event. */
public final class WatchForwarder {
  private WatchForwarder() {}

  /** Receives events; returns false when the watcher is gone (e.g. the client hung up). */
  public interface Listener {
    boolean onEvent(WorkflowEvent event);
  }

  static final Object STOP = new Object();

  static Behavior<Object> create(Listener listener) {
    return Behaviors.receive((ctx, message) -> {
      if (message == STOP) {
        return Behaviors.stopped();
      }
      WorkflowEvent event = (WorkflowEvent) message;
      boolean more = listener.onEvent(event);
      return more && !isTerminal(event) ? Behaviors.same() : Behaviors.stopped();
    });
  }

  static boolean isTerminal(WorkflowEvent e) {
    return e.hasCompleted() || e.hasFailed() || e.hasCancelled();
  }
}
