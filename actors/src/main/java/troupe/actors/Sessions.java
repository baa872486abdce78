package troupe.actors;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import troupe.v1.WorkerRequest;

/**
 * A worker's models, one per workflow, freed when the workflow releases them. Changed from one actor only; a
 * concurrent map so that a leaving node's {@link Drain} can read {@link #isEmpty} from its own thread.
 */
final class Sessions<T extends AutoCloseable> {
  private final Map<String, T> byWorkflow = new ConcurrentHashMap<>();

  /** The workflow's session, built by {@code create} only if it has none yet. */
  T open(String workflowId, Supplier<T> create) {
    return byWorkflow.computeIfAbsent(workflowId, id -> create.get());
  }

  /** Installs a fresh session, closing the one it replaces. */
  void replace(String workflowId, T session) throws Exception {
    T old = byWorkflow.put(workflowId, session);
    if (old != null) {
      old.close();
    }
  }

  void release(String workflowId) throws Exception {
    T session = byWorkflow.remove(workflowId);
    if (session != null) {
      session.close();
    }
  }

  boolean isEmpty() {
    return byWorkflow.isEmpty();
  }

  /** The session the request's workflow must already have. */
  T require(WorkerRequest request) {
    T session = byWorkflow.get(request.getWorkflowId());
    if (session == null) {
      throw Workers.noSession(request);
    }
    return session;
  }
}
