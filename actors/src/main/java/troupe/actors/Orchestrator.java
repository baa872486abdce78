package troupe.actors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import troupe.diffusion.shapes.ShapesWorld;
import troupe.trainers.spec.SpecDefaults;
import troupe.trainers.tasks.Task;
import troupe.trainers.tasks.TaskFactory;
import troupe.v1.StageFinished;
import troupe.v1.StageSpec;
import troupe.v1.StageStarted;
import troupe.v1.WorkflowCancelled;
import troupe.v1.WorkflowCompleted;
import troupe.v1.Notice;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowFailed;
import troupe.v1.WorkflowSpec;
import troupe.v1.WorkflowState;
import troupe.v1.WorkflowStatus;

/**
 * One per workflow: runs the stages in order (one {@link StageRunner} child each), numbers and stores every event,
 * streams events to watchers, and ends the workflow as completed, failed (with the cause) or cancelled.
 */
public final class Orchestrator extends AbstractBehavior<Orchestrator.Command> {
  public interface Command {}

  /** Send every event after {@code afterSeq}, then live ones; the subscriber sees the terminal event last. */
  public record Watch(long afterSeq, ActorRef<WorkflowEvent> subscriber) implements Command {}

  public record Cancel(String reason) implements Command {}

  record StageEvent(WorkflowEvent.Builder event) implements Command {}

  record StageEnded(int stageIndex, int steps, Throwable failure) implements Command {}

  private record SubscriberGone(ActorRef<WorkflowEvent> subscriber) implements Command {}

  private final WorkflowSpec spec;
  private final Path folder;
  private final ActorRef<WorkflowManager.Command> manager;
  private final WorkflowStatus.Builder status;
  private final List<WorkflowEvent> events = new ArrayList<>();
  private final Set<ActorRef<WorkflowEvent>> subscribers = new LinkedHashSet<>();
  private EventFiles files;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final WorkflowWorkers workers;
  private final long startedNanos = System.nanoTime();
  private boolean ended;
  private Task task;
  private ShapesWorld world;
  private ActorRef<StageRunner.Command> runner;
  private int runs;        // stage runners started; a stage run again after a recovery gets a runner of a new name
  private int recoveries;  // times this workflow went back to a resume point after losing a stateful worker's node

  /**
   * How a workflow goes on after a server restart or a recovery: its kept events, the resume point (null: from
   * scratch) and notices about damaged points.
   */
  record Resume(List<WorkflowEvent> history, ResumePoints.Point point, List<String> notices) {
    /**
     * Back to the newest intact point that the events name; the events after it are dropped (they happen again
     * with the same seq numbers). No such point: from scratch, with no history.
     */
    static Resume goBack(Path folder, List<WorkflowEvent> events) {
      List<String> notices = new ArrayList<>();
      for (ResumePoints.Point p : new ResumePoints(folder).valid(notices::add)) {
        String path = folder.relativize(p.folder()).toString();
        for (int i = events.size() - 1; i >= 0; i--) {
          if (events.get(i).hasResumePoint() && events.get(i).getResumePoint().getPath().equals(path)) {
            return new Resume(List.copyOf(events.subList(0, i + 1)), p, notices);
          }
        }
      }
      return new Resume(List.of(), null, notices);
    }
  }

  public static Behavior<Command> create(WorkflowStatus initial, WorkerDirectory directory,
      NodeDataPlane dataPlane, ActorRef<WorkflowManager.Command> manager) {
    return create(initial, directory, dataPlane, manager, null);
  }

  static Behavior<Command> create(WorkflowStatus initial, WorkerDirectory directory, NodeDataPlane dataPlane,
      ActorRef<WorkflowManager.Command> manager, Resume resume) {
    return Behaviors.setup(ctx -> new Orchestrator(ctx, initial, directory, dataPlane, manager, resume));
  }

  private Orchestrator(ActorContext<Command> ctx, WorkflowStatus initial, WorkerDirectory directory,
      NodeDataPlane dataPlane, ActorRef<WorkflowManager.Command> manager, Resume resume) {
    super(ctx);
    this.spec = initial.getSpec();
    this.folder = Path.of(initial.getFolder());
    this.manager = manager;
    this.status = initial.toBuilder().setState(WorkflowState.RUNNING);
    this.files = new EventFiles(folder, spec, resume == null ? null : resume.history());
    if (resume != null) {
      events.addAll(resume.history());
    }
    ActorRef<Command> self = ctx.getSelf();
    this.workers = new WorkflowWorkers(initial.getWorkflowId(), spec, directory, dataPlane, ctx.getSystem(),
        cancelled::get,
        text -> self.tell(new StageEvent(WorkflowEvent.newBuilder().setNotice(Notice.newBuilder().setText(text)))));
    try {
      if (SpecDefaults.isImageWorkflow(spec)) {
        this.world = new ShapesWorld(spec.getShapes().getHeldOutFraction());
      } else {
        this.task = TaskFactory.create(spec.getTask(), spec.getSeed());
      }
      if (resume == null) {
        startStage(0, null);
      } else {
        goOn(resume, "the server restarted");
      }
    } catch (RuntimeException e) {
      fail("cannot start: " + e.getMessage());
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(StageEvent.class, e -> {
          record(e.event());
          return this;
        })
        .onMessage(StageEnded.class, this::onStageEnded)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Watch.class, this::onWatch)
        .onMessage(SubscriberGone.class, g -> {
          subscribers.remove(g.subscriber());
          return this;
        })
        .build();
  }

  /** Says why and from where the workflow goes on (after its kept history), and starts that stage. */
  private void goOn(Resume resume, String why) {
    resume.notices().forEach(this::notice);
    ResumePoints.Point point = resume.point();
    notice(point == null
        ? why + "; no resume point was saved yet, so the workflow starts again from the beginning"
        : why + "; resuming from " + folder.relativize(point.folder()) + " (stage " + point.loop().getStageIndex()
            + ", step " + point.loop().getStep() + ")");
    startStage(point == null ? 0 : point.loop().getStageIndex(), point);
  }

  private void notice(String text) {
    record(WorkflowEvent.newBuilder().setNotice(Notice.newBuilder().setText(text)));
  }

  private void startStage(int index, ResumePoints.Point resume) {
    StageSpec stage = spec.getStages(index);
    status.setStageIndex(index).setStep(resume == null ? 0 : resume.loop().getStep()).setTotalSteps(totalSteps(stage));
    if (resume == null) { // a resumed stage's start is in the kept history
      record(WorkflowEvent.newBuilder().setStageStarted(StageStarted.newBuilder().setStageIndex(index)
          .setStage(stage.getName()).setAlgorithm(stage.getAlgorithmCase().name().toLowerCase())
          .setTotalSteps(totalSteps(stage))));
    }
    ActorRef<Command> self = getContext().getSelf();
    StageContext context = new StageContext(spec, index, folder, task, world, workers,
        event -> self.tell(new StageEvent(event)), cancelled, resume);
    runner = getContext().spawn(StageRunner.create(StageLoop.of(stage), context, cancelled, self),
        "stage-" + index + (runs++ == 0 ? "" : "-run-" + runs));
  }

  private Behavior<Command> onStageEnded(StageEnded ended) {
    runner = null;
    if (ended.failure() != null && shuttingDown()) {
      // The server is stopping, not the workflow failing: it stays unfinished and resumes at the next start.
      files.close();
      this.ended = true;
      return this;
    }
    if (ended.failure() instanceof StageCancelled || (ended.failure() != null && cancelled.get())) {
      finish(WorkflowState.CANCELLED, WorkflowEvent.newBuilder().setCancelled(WorkflowCancelled.newBuilder()
          .setReason(status.getMessage().isEmpty() ? "cancelled" : status.getMessage())));
    } else if (ended.failure() instanceof StatefulWorkerLost lost) {
      recover(lost, ended.stageIndex());
    } else if (ended.failure() != null) {
      Throwable f = ended.failure();
      String cause = f.getMessage() == null ? f.getClass().getSimpleName() : f.getMessage();
      fail("stage " + spec.getStages(ended.stageIndex()).getName() + ": " + cause);
    } else {
      StageSpec stage = spec.getStages(ended.stageIndex());
      record(WorkflowEvent.newBuilder().setStageFinished(StageFinished.newBuilder()
          .setStageIndex(ended.stageIndex()).setStage(stage.getName()).setSteps(ended.steps())));
      if (ended.stageIndex() + 1 < spec.getStagesCount()) {
        startStage(ended.stageIndex() + 1, null);
      } else {
        finish(WorkflowState.COMPLETED, WorkflowEvent.newBuilder()
            .setCompleted(WorkflowCompleted.newBuilder().setSeconds((System.nanoTime() - startedNanos) / 1e9)));
      }
    }
    return this;
  }

  /**
   * The node holding the policy's (or critic's) state is gone: the workflow goes back to its newest resume point
   * the way a server restart does (the events after it are dropped and happen again) and runs on with a new
   * policy or critic on a node that is left, at most runtime.max_recoveries times. A node that is leaving
   * gracefully is no loss: the stage saved a point at its last step, so going back to it costs no step and no
   * recovery, and the old worker is released so that the node can finish stopping.
   */
  private void recover(StatefulWorkerLost lost, int stageIndex) {
    String why;
    if (lost.leaving) {
      why = "the node " + lost.node + " holding the " + lost.role + " is leaving; moved the " + lost.role
          + " to another node";
    } else {
      int max = spec.getRuntime().getMaxRecoveries();
      if (recoveries >= max) {
        fail("stage " + spec.getStages(stageIndex).getName() + ": " + lost.getMessage()
            + "; runtime.max_recoveries (" + max + ") recoveries from resume points were used up");
        return;
      }
      recoveries++;
      why = "the node " + lost.node + " holding the " + lost.role + " was lost (recovery " + recoveries + " of "
          + max + ")";
    }
    getContext().getLog().warn("workflow {}: {}; going back to its newest resume point", status.getWorkflowId(),
        lost.getMessage());
    Resume back = Resume.goBack(folder, events);
    events.clear();
    events.addAll(back.history());
    files.close();
    files = new EventFiles(folder, spec, back.history());
    workers.forgetNode(lost.node);
    goOn(back, why);
  }

  private Behavior<Command> onCancel(Cancel cancel) {
    if (ended) {
      return this;
    }
    status.setMessage(cancel.reason());
    cancelled.set(true);
    if (runner != null) {
      runner.tell(new StageRunner.Cancel());
    } else {
      finish(WorkflowState.CANCELLED, WorkflowEvent.newBuilder()
          .setCancelled(WorkflowCancelled.newBuilder().setReason(cancel.reason())));
    }
    return this;
  }

  private Behavior<Command> onWatch(Watch watch) {
    if (ended) { // the history is on disk now, not in memory
      EndedHistory.replay(status.build(), watch.afterSeq(), watch.subscriber(),
          getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
      return this;
    }
    for (WorkflowEvent e : events) {
      if (e.getSeq() > watch.afterSeq()) {
        watch.subscriber().tell(e);
      }
    }
    subscribers.add(watch.subscriber());
    getContext().watchWith(watch.subscriber(), new SubscriberGone(watch.subscriber()));
    return this;
  }

  private boolean shuttingDown() {
    return org.apache.pekko.actor.CoordinatedShutdown.get(getContext().getSystem()).getShutdownReason().isPresent();
  }

  private void fail(String cause) {
    status.setMessage(cause);
    finish(WorkflowState.FAILED, WorkflowEvent.newBuilder().setFailed(WorkflowFailed.newBuilder().setCause(cause)));
  }

  private void finish(WorkflowState state, WorkflowEvent.Builder terminal) {
    status.setState(state).setEndedUnixMillis(System.currentTimeMillis());
    record(terminal);
    ended = true;
    events.clear(); // an ended workflow's history is read from its file: servers that run many keep little memory
    subscribers.clear();
    workers.release();
    files.close();
  }

  /** Numbers the event, stores it (memory and files), updates the status and pushes it to every watcher. */
  private void record(WorkflowEvent.Builder builder) {
    if (ended) {
      return; // the terminal event is the last one; the files are closed
    }
    WorkflowEvent event = builder.setWorkflowId(status.getWorkflowId()).setSeq(events.size() + 1)
        .setUnixMillis(System.currentTimeMillis()).build();
    events.add(event);
    files.append(event);
    if (event.hasStep()) {
      status.setStep(event.getStep().getStep()).setLastMetrics(event.getStep());
    } else if (event.hasEval()) {
      status.setLastEval(event.getEval());
    }
    // The manager first: a watcher that sees the end and at once asks the server (e.g. submits into the freed
    // slot) must find the table already updated.
    JournalEntries.of(event, status.getState(), status.getMessage())
        .ifPresent(entry -> manager.tell(new WorkflowManager.Progress(entry)));
    manager.tell(new WorkflowManager.StatusUpdate(status.build()));
    for (ActorRef<WorkflowEvent> s : subscribers) {
      s.tell(event);
    }
  }

  static int totalSteps(StageSpec stage) {
    return switch (stage.getAlgorithmCase()) {
      case SFT -> stage.getSft().getSteps();
      case FLOW_PRETRAIN -> stage.getFlowPretrain().getSteps();
      case FLOW_GRPO -> stage.getFlowGrpo().getSteps();
      case EVAL -> 1;
      case DPO -> stage.getDpo().getSteps();
      case REWARD_MODEL -> stage.getRewardModel().getSteps();
      case GENERATE_PREFERENCES -> GeneratePreferencesStage.totalSteps(stage.getGeneratePreferences());
      default -> troupe.trainers.spec.RlPresets.isRl(stage)
          ? troupe.trainers.spec.RlPresets.config(stage).getSteps() : 0;
    };
  }
}
