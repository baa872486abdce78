package troupe.actors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import troupe.v1.JournalEvent;
import troupe.v1.JournalRecord;
import troupe.v1.WorkflowAccepted;
import troupe.v1.WorkflowEnded;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;
import troupe.v1.WorkflowState;
import troupe.v1.WorkflowStatus;

/**
 * One per server: the table of workflows. Starts an {@link Orchestrator} per accepted workflow and answers
 * submit, get, list, cancel and watch. Specs arrive already validated (see {@code TroupeNode#submit}).
 */
public final class WorkflowManager extends AbstractBehavior<WorkflowManager.Command> {
  public interface Command {}

  public record Submit(WorkflowSpec resolvedSpec, ActorRef<WorkflowStatus> replyTo) implements Command {}

  public record Get(String workflowId, ActorRef<Optional<WorkflowStatus>> replyTo) implements Command {}

  public record ListAll(ActorRef<List<WorkflowStatus>> replyTo) implements Command {}

  public record Cancel(String workflowId, String reason, ActorRef<Optional<WorkflowStatus>> replyTo)
      implements Command {}

  public record Watch(String workflowId, long afterSeq, ActorRef<WorkflowEvent> subscriber,
      ActorRef<Boolean> replyTo) implements Command {}

  record StatusUpdate(WorkflowStatus status) implements Command {}

  private record OrchestratorStopped(String workflowId) implements Command {}

  /** A fact of a workflow's life for the journal (from its orchestrator, or accepted here). */
  record Progress(JournalEvent event) implements Command {}

  private record SchemaReady(Throwable failure) implements Command {}

  private record Recovered(List<JournalRecord> records, Throwable failure) implements Command {}

  private final Path dataDir;
  private final WorkerDirectory directory;
  private final NodeDataPlane dataPlane;
  private final Map<String, WorkflowStatus> table = new LinkedHashMap<>();
  private final Map<String, ActorRef<Orchestrator.Command>> orchestrators = new HashMap<>();
  private ActorRef<WorkflowRegistry.Command> registry;
  private final List<JournalEvent> unjournaled = new ArrayList<>(); // until the journal is ready
  private final List<Command> waiting = new ArrayList<>(); // asks about workflows, until the journal was read
  private boolean journalRead;

  public static Behavior<Command> create(Path dataDir, WorkerDirectory directory, NodeDataPlane dataPlane) {
    return Behaviors.setup(ctx -> new WorkflowManager(ctx, dataDir, directory, dataPlane));
  }

  private WorkflowManager(ActorContext<Command> ctx, Path dataDir, WorkerDirectory directory,
      NodeDataPlane dataPlane) {
    super(ctx);
    this.dataDir = dataDir;
    this.directory = directory;
    this.dataPlane = dataPlane;
    ctx.pipeToSelf(SchemaUtils.createIfNotExists(ctx.getSystem()), (done, failure) -> new SchemaReady(failure));
  }

  private Behavior<Command> onSchemaReady(SchemaReady ready) {
    if (ready.failure() != null) {
      getContext().getLog().error("the workflow journal is not available ({}); workflows run but are not recorded, "
          + "and will not resume after a restart", ready.failure().toString());
      return onRecovered(new Recovered(List.of(), null));
    }
    registry = getContext().spawn(WorkflowRegistry.create(), "workflow-registry");
    getContext().ask(WorkflowRegistry.Records.class, registry, java.time.Duration.ofSeconds(60),
        WorkflowRegistry.All::new, (records, failure) -> new Recovered(records == null ? List.of() : records.list(),
            failure));
    return this;
  }

  /**
   * After a restart the journal lists every workflow: those that ended are listed again as they ended; those that
   * were running go on from their newest intact resume point that their events name. The events after that point
   * are dropped (they happen again), and damaged newer points are reported.
   */
  private Behavior<Command> onRecovered(Recovered recovered) {
    if (recovered.failure() != null) {
      getContext().getLog().error("cannot read the workflow journal: {}", recovered.failure().toString());
    }
    for (JournalRecord r : recovered.records()) {
      if (table.containsKey(r.getWorkflowId())) {
        continue;
      }
      WorkflowStatus status = WorkflowStatus.newBuilder().setWorkflowId(r.getWorkflowId())
          .setName(r.getSpec().getName()).setSpec(r.getSpec()).setFolder(r.getFolder()).setState(r.getState())
          .setStageIndex(r.getStageIndex()).setStep(r.getStep()).setMessage(r.getMessage())
          .setSubmittedUnixMillis(r.getSubmittedUnixMillis()).setEndedUnixMillis(r.getEndedUnixMillis()).build();
      if (r.getState() != WorkflowState.RUNNING) {
        table.put(r.getWorkflowId(), status);
        continue;
      }
      try {
        resume(status);
      } catch (IOException | RuntimeException e) {
        String why = "cannot resume after a restart: " + e.getMessage();
        table.put(r.getWorkflowId(), status.toBuilder().setState(WorkflowState.FAILED).setMessage(why).build());
        journal(JournalEvent.newBuilder().setWorkflowId(r.getWorkflowId()).setEnded(WorkflowEnded.newBuilder()
            .setState(WorkflowState.FAILED).setMessage(why)).build());
      }
    }
    if (registry != null) {
      unjournaled.forEach(e -> registry.tell(new WorkflowRegistry.Record(e)));
      unjournaled.clear();
    }
    journalRead = true;
    waiting.forEach(getContext().getSelf()::tell); // get, list, cancel and watch now see every workflow
    waiting.clear();
    return this;
  }

  /** Sends a fact to the journal, or keeps it until the journal is ready. */
  private void journal(JournalEvent event) {
    JournalEvent stamped = event.toBuilder().setUnixMillis(System.currentTimeMillis()).build();
    if (registry == null) {
      unjournaled.add(stamped);
    } else {
      registry.tell(new WorkflowRegistry.Record(stamped));
    }
  }

  private void resume(WorkflowStatus journaled) throws IOException {
    Path folder = Path.of(journaled.getFolder());
    List<WorkflowEvent> events = Files.exists(folder.resolve("events.jsonl")) ? EventFiles.read(folder) : List.of();
    if (!events.isEmpty() && WatchForwarder.isTerminal(events.get(events.size() - 1))) {
      // It ended, but the journal did not hear of it before the server stopped.
      WorkflowEvent end = events.get(events.size() - 1);
      WorkflowState state = end.hasCompleted() ? WorkflowState.COMPLETED
          : end.hasCancelled() ? WorkflowState.CANCELLED : WorkflowState.FAILED;
      table.put(journaled.getWorkflowId(), journaled.toBuilder().setState(state).build());
      journal(JournalEvent.newBuilder().setWorkflowId(journaled.getWorkflowId())
          .setEnded(WorkflowEnded.newBuilder().setState(state)).build());
      return;
    }
    WorkflowStatus status = journaled.toBuilder().setState(WorkflowState.PENDING).build();
    start(status, Orchestrator.Resume.goBack(folder, events));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Get.class, g -> later(g) ? this : reply(g))
        .onMessage(ListAll.class, l -> {
          if (!later(l)) {
            l.replyTo().tell(new ArrayList<>(table.values()));
          }
          return this;
        })
        .onMessage(Cancel.class, c -> later(c) ? this : onCancel(c))
        .onMessage(Watch.class, w -> later(w) ? this : onWatch(w))
        .onMessage(StatusUpdate.class, u -> {
          table.put(u.status().getWorkflowId(), u.status());
          return this;
        })
        .onMessage(OrchestratorStopped.class, this::onOrchestratorStopped)
        .onMessage(Progress.class, p -> {
          journal(p.event());
          return this;
        })
        .onMessage(SchemaReady.class, this::onSchemaReady)
        .onMessage(Recovered.class, this::onRecovered)
        .build();
  }

  /** Keeps a question about workflows until the journal was read after a start; true if it was kept. */
  private boolean later(Command question) {
    if (!journalRead) {
      waiting.add(question);
    }
    return !journalRead;
  }

  private Behavior<Command> reply(Get g) {
    g.replyTo().tell(Optional.ofNullable(table.get(g.workflowId())));
    return this;
  }

  private Behavior<Command> onSubmit(Submit submit) {
    String id = "wf-" + UUID.randomUUID().toString().substring(0, 8);
    WorkflowStatus status = WorkflowStatus.newBuilder().setWorkflowId(id).setName(submit.resolvedSpec().getName())
        .setState(WorkflowState.PENDING).setSpec(submit.resolvedSpec())
        .setFolder(dataDir.resolve("workflows").resolve(id).toAbsolutePath().toString())
        .setSubmittedUnixMillis(System.currentTimeMillis()).build();
    journal(JournalEvent.newBuilder().setWorkflowId(id).setAccepted(WorkflowAccepted.newBuilder()
        .setSpec(submit.resolvedSpec()).setFolder(status.getFolder())).build());
    start(status, null);
    submit.replyTo().tell(status);
    return this;
  }

  private void start(WorkflowStatus status, Orchestrator.Resume resume) {
    String id = status.getWorkflowId();
    table.put(id, status);
    ActorRef<Orchestrator.Command> orchestrator = getContext().spawn(
        Orchestrator.create(status, directory, dataPlane, getContext().getSelf(), resume), "workflow-" + id);
    getContext().watchWith(orchestrator, new OrchestratorStopped(id));
    orchestrators.put(id, orchestrator);
  }

  /** An orchestrator only stops on a bug or a failure to start; its workflow must not look alive forever. */
  private Behavior<Command> onOrchestratorStopped(OrchestratorStopped stopped) {
    orchestrators.remove(stopped.workflowId());
    WorkflowStatus s = table.get(stopped.workflowId());
    if (s != null && (s.getState() == WorkflowState.PENDING || s.getState() == WorkflowState.RUNNING)) {
      table.put(s.getWorkflowId(), s.toBuilder().setState(WorkflowState.FAILED)
          .setMessage("the orchestrator stopped unexpectedly; see the server log").build());
    }
    return this;
  }

  private Behavior<Command> onCancel(Cancel cancel) {
    ActorRef<Orchestrator.Command> orchestrator = orchestrators.get(cancel.workflowId());
    if (orchestrator != null) {
      orchestrator.tell(new Orchestrator.Cancel(cancel.reason()));
    }
    cancel.replyTo().tell(Optional.ofNullable(table.get(cancel.workflowId())));
    return this;
  }

  private Behavior<Command> onWatch(Watch watch) {
    ActorRef<Orchestrator.Command> orchestrator = orchestrators.get(watch.workflowId());
    WorkflowStatus status = table.get(watch.workflowId());
    if (orchestrator != null) {
      orchestrator.tell(new Orchestrator.Watch(watch.afterSeq(), watch.subscriber()));
    } else if (status != null) {
      EndedHistory.replay(status, watch.afterSeq(), watch.subscriber(),
          getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
    }
    watch.replyTo().tell(status != null);
    return this;
  }
}
