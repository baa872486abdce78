package troupe.actors;

import com.google.protobuf.util.JsonFormat;
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
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
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

  private final Path dataDir;
  private final WorkerDirectory directory;
  private final NodeDataPlane dataPlane;
  private final Map<String, WorkflowStatus> table = new LinkedHashMap<>();
  private final Map<String, ActorRef<Orchestrator.Command>> orchestrators = new HashMap<>();

  public static Behavior<Command> create(Path dataDir, WorkerDirectory directory, NodeDataPlane dataPlane) {
    return Behaviors.setup(ctx -> new WorkflowManager(ctx, dataDir, directory, dataPlane));
  }

  private WorkflowManager(ActorContext<Command> ctx, Path dataDir, WorkerDirectory directory,
      NodeDataPlane dataPlane) {
    super(ctx);
    this.dataDir = dataDir;
    this.directory = directory;
    this.dataPlane = dataPlane;
    resumeUnfinished();
  }

  /**
   * After a restart: every workflow folder whose events end without a terminal event was running when the server
   * stopped. Each goes on from its newest intact resume point that its events name; the events after that point
   * are dropped (they happen again), and damaged newer points are reported.
   */
  private void resumeUnfinished() {
    Path workflows = dataDir.resolve("workflows");
    if (!Files.isDirectory(workflows)) {
      return;
    }
    try (var folders = Files.list(workflows)) {
      for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
        try {
          resume(folder);
        } catch (IOException | RuntimeException e) {
          getContext().getLog().warn("cannot resume the workflow in {}: {}", folder, e.toString());
        }
      }
    } catch (IOException e) {
      getContext().getLog().warn("cannot list {}: {}", workflows, e.toString());
    }
  }

  private void resume(Path folder) throws IOException {
    if (!Files.exists(folder.resolve("events.jsonl")) || !Files.exists(folder.resolve("spec.json"))) {
      return;
    }
    List<WorkflowEvent> events = EventFiles.read(folder);
    if (events.isEmpty() || WatchForwarder.isTerminal(events.get(events.size() - 1))) {
      return;
    }
    WorkflowSpec.Builder spec = WorkflowSpec.newBuilder();
    JsonFormat.parser().merge(Files.readString(folder.resolve("spec.json")), spec);
    List<String> notices = new ArrayList<>();
    ResumePoints.Point point = null;
    int keep = 0;
    for (ResumePoints.Point p : new ResumePoints(folder).valid(notices::add)) {
      String path = folder.relativize(p.folder()).toString();
      for (int i = events.size() - 1; i >= 0 && point == null; i--) {
        if (events.get(i).hasResumePoint() && events.get(i).getResumePoint().getPath().equals(path)) {
          point = p;
          keep = i + 1;
        }
      }
      if (point != null) {
        break;
      }
    }
    String id = folder.getFileName().toString();
    WorkflowStatus status = WorkflowStatus.newBuilder().setWorkflowId(id).setName(spec.getName())
        .setState(WorkflowState.PENDING).setSpec(spec).setFolder(folder.toAbsolutePath().toString())
        .setSubmittedUnixMillis(events.get(0).getUnixMillis()).build();
    List<WorkflowEvent> history = point == null ? List.of() : events.subList(0, keep);
    start(status, new Orchestrator.Resume(List.copyOf(history), point, notices));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Get.class, g -> {
          g.replyTo().tell(Optional.ofNullable(table.get(g.workflowId())));
          return this;
        })
        .onMessage(ListAll.class, l -> {
          l.replyTo().tell(new ArrayList<>(table.values()));
          return this;
        })
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Watch.class, this::onWatch)
        .onMessage(StatusUpdate.class, u -> {
          table.put(u.status().getWorkflowId(), u.status());
          return this;
        })
        .onMessage(OrchestratorStopped.class, this::onOrchestratorStopped)
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    String id = "wf-" + UUID.randomUUID().toString().substring(0, 8);
    WorkflowStatus status = WorkflowStatus.newBuilder().setWorkflowId(id).setName(submit.resolvedSpec().getName())
        .setState(WorkflowState.PENDING).setSpec(submit.resolvedSpec())
        .setFolder(dataDir.resolve("workflows").resolve(id).toAbsolutePath().toString())
        .setSubmittedUnixMillis(System.currentTimeMillis()).build();
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
    if (orchestrator != null) {
      orchestrator.tell(new Orchestrator.Watch(watch.afterSeq(), watch.subscriber()));
    }
    watch.replyTo().tell(orchestrator != null);
    return this;
  }
}
