package troupe.actors;

/** Thrown inside a stage loop when the workflow was cancelled; the orchestrator ends it as cancelled. */
public final class StageCancelled extends RuntimeException {
  public StageCancelled(String reason) {
    super(reason);
  }
}
