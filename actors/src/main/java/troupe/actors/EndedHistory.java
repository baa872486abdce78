package troupe.actors;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowCancelled;
import troupe.v1.WorkflowCompleted;
import troupe.v1.WorkflowFailed;
import troupe.v1.WorkflowState;
import troupe.v1.WorkflowStatus;

/**
 * The history of a workflow that has no orchestrator any more (it ended before the server restarted, or its
 * orchestrator stopped): read from its events.jsonl and handed to a watcher, always closed by a terminal event.
 */
final class EndedHistory {
  private EndedHistory() {}

  /** Reads on {@code io} (file reads stay off the actor threads) and tells the events after {@code afterSeq}. */
  static void replay(WorkflowStatus status, long afterSeq, ActorRef<WorkflowEvent> subscriber, Executor io) {
    io.execute(() -> {
      List<WorkflowEvent> events;
      String problem = null;
      try {
        events = EventFiles.read(Path.of(status.getFolder()));
      } catch (java.io.IOException | RuntimeException e) {
        events = List.of();
        problem = "its event file cannot be read (" + e.getMessage() + ")";
      }
      for (WorkflowEvent e : events) {
        if (e.getSeq() > afterSeq) {
          subscriber.tell(e);
        }
      }
      if (events.isEmpty() || !WatchForwarder.isTerminal(events.get(events.size() - 1))) {
        // The file lacks the end (lost with a crash); the status still knows how the workflow ended.
        subscriber.tell(end(status, events.size() + 1L, problem).build());
      }
    });
  }

  private static WorkflowEvent.Builder end(WorkflowStatus status, long seq, String unreadable) {
    WorkflowEvent.Builder e = WorkflowEvent.newBuilder().setWorkflowId(status.getWorkflowId()).setSeq(seq)
        .setUnixMillis(status.getEndedUnixMillis());
    if (unreadable == null && status.getState() == WorkflowState.COMPLETED) {
      return e.setCompleted(WorkflowCompleted.getDefaultInstance());
    }
    if (unreadable == null && status.getState() == WorkflowState.CANCELLED) {
      return e.setCancelled(WorkflowCancelled.newBuilder().setReason(status.getMessage()));
    }
    return e.setFailed(WorkflowFailed.newBuilder().setCause(unreadable != null ? unreadable
        : status.getMessage().isEmpty() ? "the workflow failed; no cause was recorded" : status.getMessage()));
  }
}
