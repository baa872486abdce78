package troupe.actors;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import troupe.v1.WorkflowEvent;

/** Hands a workflow's events to a plain Java listener (a gRPC stream) and stops after the terminal event. */
public final class WatchForwarder {
  private WatchForwarder() {}

  /** Receives events; returns false when the watcher is gone (e.g. the client hung up). */
  public interface Listener {
    boolean onEvent(WorkflowEvent event);

    /** The node stopped before the workflow's terminal event reached the listener (a server shutdown). */
    default void onInterrupted() {}
  }

  static final Object STOP = new Object();

  static Behavior<Object> create(Listener listener) {
    boolean[] finished = {false}; // the listener got the terminal event, or said it wants no more
    return Behaviors.receive(Object.class)
        .onMessage(Object.class, message -> {
          if (message == STOP) {
            finished[0] = true;
            return Behaviors.stopped();
          }
          WorkflowEvent event = (WorkflowEvent) message;
          finished[0] = !listener.onEvent(event) || isTerminal(event);
          return finished[0] ? Behaviors.stopped() : Behaviors.same();
        })
        .onSignal(PostStop.class, stopped -> {
          if (!finished[0]) {
            listener.onInterrupted();
          }
          return Behaviors.same();
        })
        .build();
  }

  public static boolean isTerminal(WorkflowEvent e) {
    return e.hasCompleted() || e.hasFailed() || e.hasCancelled();
  }
}
