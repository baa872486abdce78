package troupe.actors;

import java.util.Optional;
import troupe.v1.JournalEvent;
import troupe.v1.StageReached;
import troupe.v1.StepCommitted;
import troupe.v1.WorkflowEnded;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowState;

/** Which workflow events are facts for the journal, and as what. Samples, evaluations and notices are not. */
final class JournalEntries {
  private JournalEntries() {}

  static Optional<JournalEvent> of(WorkflowEvent e, WorkflowState state, String message) {
    JournalEvent.Builder j = JournalEvent.newBuilder().setWorkflowId(e.getWorkflowId());
    switch (e.getKindCase()) {
      case STAGE_STARTED -> j.setStageStarted(StageReached.newBuilder().setStageIndex(e.getStageStarted().getStageIndex()));
      case STEP -> j.setStepCommitted(StepCommitted.newBuilder().setStageIndex(e.getStep().getStageIndex())
          .setStep(e.getStep().getStep()));
      case RESUME_POINT -> j.setResumePoint(e.getResumePoint());
      case STAGE_FINISHED -> j.setStageFinished(StageReached.newBuilder()
          .setStageIndex(e.getStageFinished().getStageIndex()));
      case COMPLETED, FAILED, CANCELLED -> j.setEnded(WorkflowEnded.newBuilder().setState(state).setMessage(message));
      default -> {
        return Optional.empty();
      }
    }
    return Optional.of(j.build());
  }
}
