package troupe.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import troupe.actors.WatchForwarder;
import troupe.v1.WorkflowEvent;

/**
 * Follows a workflow across lost connections, such as a server restart. Each reconnection asks for the whole
 * history again and skips what was already delivered. A resumed workflow drops the events after its resume point
 * and produces them again under the same numbers; the first event that differs from the one delivered under its
 * number marks that point, and from there on everything is delivered again (after a line that says so).
 */
final class ReconnectingWatch {
  private final TroupeClient client;
  private final String workflowId;
  private final Duration patience;
  private final Consumer<String> say;
  private final List<Integer> delivered = new ArrayList<>(); // a fingerprint of the event delivered under seq i + 1

  /** {@code patience}: how long to keep trying while the server is unreachable; zero gives up at once. */
  ReconnectingWatch(TroupeClient client, String workflowId, Duration patience, Consumer<String> say) {
    this.client = client;
    this.workflowId = workflowId;
    this.patience = patience;
    this.say = say;
  }

  /** Hands each event to {@code out} until the terminal one; throws when the server stays away too long. */
  void follow(Consumer<WorkflowEvent> out) throws InterruptedException {
    long lostSince = 0; // nanoTime when the connection was lost; 0 while connected
    while (true) {
      StatusRuntimeException failure = null;
      try {
        Iterator<WorkflowEvent> events = client.watch(workflowId);
        while (events.hasNext()) {
          WorkflowEvent e = events.next();
          lostSince = 0;
          if (deliver(e)) {
            out.accept(e);
          }
          if (WatchForwarder.isTerminal(e)) {
            return;
          }
        }
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw e;
        }
        failure = e;
      }
      // Unreachable, or the stream ended without a terminal event (the server is shutting down): wait for it.
      lostSince = lost(lostSince, failure == null ? "the server closed the stream" : failure.getStatus().getDescription());
      if (System.nanoTime() - lostSince >= patience.toNanos()) {
        if (failure != null) {
          throw failure;
        }
        return; // the caller reports a stream that ended without a terminal event
      }
      Thread.sleep(1000);
    }
  }

  /** True if the event is new to the watcher; forgets what the server has replaced since. */
  private boolean deliver(WorkflowEvent e) {
    int index = (int) e.getSeq() - 1;
    int fingerprint = e.hashCode();
    if (index < delivered.size()) {
      if (delivered.get(index) == fingerprint) {
        return false;
      }
      say.accept("the workflow went back to a resume point: the events from #" + e.getSeq() + " on happen again");
      delivered.subList(index, delivered.size()).clear();
    }
    delivered.add(fingerprint);
    return true;
  }

  private long lost(long lostSince, String why) {
    if (lostSince != 0) {
      return lostSince;
    }
    if (!patience.isZero()) {
      say.accept("lost the connection to the server (" + why + "); reconnecting for up to " + patience.toSeconds()
          + " s");
    }
    return System.nanoTime();
  }
}
