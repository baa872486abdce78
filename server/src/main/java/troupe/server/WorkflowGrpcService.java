package troupe.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import troupe.actors.TroupeNode;
import troupe.actors.WatchForwarder;
import troupe.trainers.spec.SpecException;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.ArtifactChunk;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.DownloadArtifactRequest;
import troupe.v1.GetWorkflowRequest;
import troupe.v1.ListArtifactsRequest;
import troupe.v1.ListArtifactsResponse;
import troupe.v1.ListWorkflowsRequest;
import troupe.v1.ListWorkflowsResponse;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.SubmitWorkflowResponse;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;
import troupe.v1.WorkflowSpec;
import troupe.v1.WorkflowState;
import troupe.v1.WorkflowStatus;

/**
 * The public gRPC API; it translates between the wire and {@link TroupeNode} and enforces the {@link ServerLimits}
 * that concern requests: spec size, running workflows and open watch streams.
 */
final class WorkflowGrpcService extends WorkflowServiceGrpc.WorkflowServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkflowGrpcService.class);
  private final TroupeNode node;
  private final ServerLimits limits;
  private final AtomicInteger watchers = new AtomicInteger();
  /** Admissions run one after another, so two simultaneous submits cannot both take the last free slot. */
  private final Object admissionLock = new Object();
  private CompletableFuture<Void> lastAdmission = CompletableFuture.completedFuture(null);

  WorkflowGrpcService(TroupeNode node, ServerLimits limits) {
    this.node = node;
    this.limits = limits;
  }

  @Override
  public void submitWorkflow(SubmitWorkflowRequest request, StreamObserver<SubmitWorkflowResponse> out) {
    WorkflowSpec spec;
    try {
      long size = switch (request.getSourceCase()) {
        case SPEC -> request.getSpec().getSerializedSize();
        case SPEC_YAML -> request.getSpecYamlBytes().size();
        default -> 0;
      };
      if (size > limits.maxSpecBytes()) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("spec is " + size + " bytes; the limit is "
            + limits.maxSpecBytes() + " (--max-spec-bytes)").asRuntimeException());
        return;
      }
      spec = switch (request.getSourceCase()) {
        case SPEC -> request.getSpec();
        case SPEC_YAML -> WorkflowYaml.parse(request.getSpecYaml());
        default -> throw new SpecException("the request needs a workflow: set spec or spec_yaml");
      };
      // Validated here, before admission, so a bad spec is told what is wrong even when the server is full.
      spec = node.validate(spec);
    } catch (SpecException e) {
      out.onError(invalidSpec(e));
      return;
    } catch (RuntimeException e) {
      // A spec the validator trips over is still the spec's fault, but the validator should have named the field
      // (as it does for a NUL in a file path): log it so that gap gets fixed.
      LOG.warn("validating a submitted workflow failed unexpectedly; the validator should report this as a problem",
          e);
      out.onError(Status.INVALID_ARGUMENT.withDescription("invalid workflow: it could not be validated: " + e)
          .asRuntimeException());
      return;
    }
    reply(admit(spec), s -> SubmitWorkflowResponse.newBuilder().setWorkflowId(s.getWorkflowId()).build(), out);
  }

  /**
   * Starts the workflow unless --max-workflows are running (not yet completed, failed or cancelled). The count
   * comes from the node's table; the previous admission has been answered by then, so its workflow is in the table.
   */
  private CompletionStage<WorkflowStatus> admit(WorkflowSpec resolved) {
    synchronized (admissionLock) {
      CompletableFuture<WorkflowStatus> admitted = lastAdmission.thenCompose(ignored -> node.list())
          .thenCompose(all -> {
            long running = all.stream().filter(s -> !ended(s.getState())).count();
            if (running >= limits.maxWorkflows()) {
              throw Status.RESOURCE_EXHAUSTED.withDescription(running + " workflows are running; the limit is "
                  + limits.maxWorkflows() + " (--max-workflows); wait for one to end or cancel one")
                  .asRuntimeException();
            }
            return node.submitResolved(resolved);
          }).toCompletableFuture();
      lastAdmission = admitted.handle((status, error) -> null);
      return admitted;
    }
  }

  private static boolean ended(WorkflowState state) {
    return state == WorkflowState.COMPLETED || state == WorkflowState.FAILED || state == WorkflowState.CANCELLED;
  }

  private static StatusRuntimeException invalidSpec(SpecException e) {
    return Status.INVALID_ARGUMENT.withDescription("invalid workflow: " + e.getMessage()).asRuntimeException();
  }

  @Override
  public void getWorkflow(GetWorkflowRequest request, StreamObserver<WorkflowStatus> out) {
    if (requireId(request.getWorkflowId(), out)) {
      reply(node.get(request.getWorkflowId()), found -> orNotFound(found, request.getWorkflowId()), out);
    }
  }

  @Override
  public void listWorkflows(ListWorkflowsRequest request, StreamObserver<ListWorkflowsResponse> out) {
    reply(node.list(), all -> ListWorkflowsResponse.newBuilder().addAllWorkflows(all).build(), out);
  }

  @Override
  public void cancelWorkflow(CancelWorkflowRequest request, StreamObserver<WorkflowStatus> out) {
    if (requireId(request.getWorkflowId(), out)) {
      reply(node.cancel(request.getWorkflowId(), "cancelled by a client"),
          found -> orNotFound(found, request.getWorkflowId()), out);
    }
  }

  @Override
  public void watchWorkflow(WatchWorkflowRequest request, StreamObserver<WorkflowEvent> out) {
    if (!requireId(request.getWorkflowId(), out)) {
      return;
    }
    if (watchers.incrementAndGet() > limits.maxWatchers()) {
      watchers.decrementAndGet();
      out.onError(Status.RESOURCE_EXHAUSTED.withDescription(limits.maxWatchers() + " watch streams are open; the "
          + "limit is " + limits.maxWatchers() + " (--max-watchers)").asRuntimeException());
      return;
    }
    AtomicBoolean open = new AtomicBoolean(true);
    Runnable release = () -> {
      if (open.compareAndSet(true, false)) {
        watchers.decrementAndGet();
      }
    };
    ServerCallStreamObserver<WorkflowEvent> stream = (ServerCallStreamObserver<WorkflowEvent>) out;
    stream.setOnCancelHandler(release); // the client hung up or its deadline passed
    // The node is asked for the whole history and the events the client has are skipped here: asked for the
    // events after the last one of an ended workflow, the node sends none, and the stream would never end.
    long afterSeq = request.getAfterSeq();
    node.watch(request.getWorkflowId(), 0, new WatchForwarder.Listener() {
      @Override
      public boolean onEvent(WorkflowEvent event) {
        synchronized (stream) {
          if (stream.isCancelled()) {
            return false; // the client hung up: stop forwarding
          }
          if (event.getSeq() > afterSeq) {
            stream.onNext(event);
          }
          if (WatchForwarder.isTerminal(event)) {
            release.run(); // before completing, so a client that watches again at once finds the slot free
            stream.onCompleted();
            return false;
          }
          return true;
        }
      }

      @Override
      public void onInterrupted() {
        synchronized (stream) {
          release.run();
          if (!stream.isCancelled()) {
            stream.onError(Status.UNAVAILABLE.withDescription("the server is shutting down; the workflow goes on "
                + "when it is started again: watch again").asRuntimeException());
          }
        }
      }
    }).whenComplete((found, error) -> {
      synchronized (stream) {
        if (error != null) {
          release.run();
          stream.onError(Status.UNAVAILABLE.withDescription(error.getMessage()).asRuntimeException());
        } else if (!found) {
          release.run();
          stream.onError(notFound(request.getWorkflowId()));
        }
      }
    });
  }

  @Override
  public void listArtifacts(ListArtifactsRequest request, StreamObserver<ListArtifactsResponse> out) {
    if (!requireId(request.getWorkflowId(), out)) {
      return;
    }
    // Walking the folder is file IO: keep it off the actor threads that complete the lookup.
    reply(node.get(request.getWorkflowId()).thenApplyAsync(found -> {
      Path folder = Path.of(orNotFound(found, request.getWorkflowId()).getFolder());
      try {
        return ListArtifactsResponse.newBuilder().addAllArtifacts(ArtifactFiles.list(folder)).build();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot list " + folder + ": " + e).asRuntimeException();
      }
    }), response -> response, out);
  }

  @Override
  public void downloadArtifact(DownloadArtifactRequest request, StreamObserver<ArtifactChunk> out) {
    if (!requireId(request.getWorkflowId(), out)) {
      return;
    }
    ServerCallStreamObserver<ArtifactChunk> stream = (ServerCallStreamObserver<ArtifactChunk>) out;
    FileSender sender = new FileSender(stream);
    // gRPC only accepts these handlers before this method returns, so they are set before the file is known.
    stream.setOnCancelHandler(sender::cancel);
    stream.setOnReadyHandler(sender::pump);
    node.get(request.getWorkflowId()).thenAcceptAsync(found -> {
      WorkflowStatus status = orNotFound(found, request.getWorkflowId());
      Path file = ArtifactFiles.resolve(Path.of(status.getFolder()), request.getPath(), request.getWorkflowId());
      try {
        sender.start(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).whenComplete((ignored, error) -> {
      if (error != null) {
        sender.fail(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
      }
    });
  }

  private static <T> boolean requireId(String id, StreamObserver<T> out) {
    if (id.isBlank()) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("workflow_id is required").asRuntimeException());
      return false;
    }
    return true;
  }

  private static WorkflowStatus orNotFound(Optional<WorkflowStatus> found, String id) {
    return found.orElseThrow(() -> notFound(id));
  }

  private static StatusRuntimeException notFound(String id) {
    return Status.NOT_FOUND.withDescription("no workflow with id \"" + id + "\"").asRuntimeException();
  }

  private static <A, T> void reply(CompletionStage<A> stage, java.util.function.Function<A, T> map,
      StreamObserver<T> out) {
    stage.thenApply(map).whenComplete((value, error) -> {
      if (error == null) {
        out.onNext(value);
        out.onCompleted();
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      out.onError(cause instanceof StatusRuntimeException s ? s
          : cause instanceof SpecException e ? invalidSpec(e)
          : Status.UNAVAILABLE.withDescription(String.valueOf(cause.getMessage())).asRuntimeException());
    });
  }
}
