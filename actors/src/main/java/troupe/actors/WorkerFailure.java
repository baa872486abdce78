package troupe.actors;

/** A worker answered with an error, or not at all in time. The message names the worker and the cause. */
public class WorkerFailure extends RuntimeException {
  public WorkerFailure(String message) {
    super(message);
  }
}
