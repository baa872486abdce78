package troupe.actors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import troupe.v1.JournalEvent;
import troupe.v1.JournalRecord;
import troupe.v1.JournalSnapshot;
import troupe.v1.WorkflowState;

/**
 * The server's durable list of workflows, event-sourced with Pekko Persistence on the JDBC journal (an H2 file in
 * the data folder, or PostgreSQL): each workflow accepted, each stage started and finished, each step committed,
 * each resume point written, and how it ended. After a restart it says which workflows were running (they resume)
 * and what every other one did (it stays listed).
 */
final class WorkflowRegistry extends EventSourcedBehavior<WorkflowRegistry.Command, JournalEvent,
    WorkflowRegistry.State> {

  interface Command {}

  /** Persists one fact; facts of a workflow arrive in the order they happened. */
  record Record(JournalEvent event) implements Command {}

  /** Every workflow the journal knows, in the order they were accepted. */
  record All(ActorRef<Records> replyTo) implements Command {}

  record Records(List<JournalRecord> list) {}

  /** The records, mutated only by the event handler. */
  static final class State {
    final Map<String, JournalRecord> records = new LinkedHashMap<>();
  }

  static Behavior<Command> create() {
    return new WorkflowRegistry();
  }

  private WorkflowRegistry() {
    super(PersistenceId.ofUniqueId("troupe-workflows"));
  }

  @Override
  public State emptyState() {
    return new State();
  }

  @Override
  public CommandHandler<Command, JournalEvent, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Record.class, r -> Effect().persist(r.event()))
        .onCommand(All.class, (state, a) -> Effect().none()
            .thenRun(s -> a.replyTo().tell(new Records(new ArrayList<>(s.records.values())))))
        .build();
  }

  @Override
  public EventHandler<State, JournalEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(JournalEvent.class, WorkflowRegistry::apply).build();
  }

  static State apply(State state, JournalEvent e) {
    JournalRecord.Builder r = state.records.containsKey(e.getWorkflowId())
        ? state.records.get(e.getWorkflowId()).toBuilder() : JournalRecord.newBuilder().setWorkflowId(e.getWorkflowId());
    switch (e.getKindCase()) {
      case ACCEPTED -> r.setSpec(e.getAccepted().getSpec()).setFolder(e.getAccepted().getFolder())
          .setSubmittedUnixMillis(e.getUnixMillis()).setState(WorkflowState.RUNNING);
      case STAGE_STARTED -> r.setStageIndex(e.getStageStarted().getStageIndex()).setStep(0);
      case STEP_COMMITTED -> r.setStageIndex(e.getStepCommitted().getStageIndex()).setStep(e.getStepCommitted().getStep());
      case RESUME_POINT -> r.setResumePoint(e.getResumePoint().getPath());
      case STAGE_FINISHED -> r.setStageIndex(e.getStageFinished().getStageIndex());
      case ENDED -> r.setState(e.getEnded().getState()).setMessage(e.getEnded().getMessage())
          .setEndedUnixMillis(e.getUnixMillis());
      default -> { }
    }
    state.records.put(e.getWorkflowId(), r.build());
    return state;
  }

  /** A snapshot every 1000 facts, so a restart replays at most that many; two are kept. */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(1000, 2);
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return JournalSnapshot.newBuilder().addAllRecords(state.records.values()).build();
      }

      @Override
      public State fromJournal(Object from) {
        State state = new State();
        for (JournalRecord r : ((JournalSnapshot) from).getRecordsList()) {
          state.records.put(r.getWorkflowId(), r);
        }
        return state;
      }
    };
  }
}
