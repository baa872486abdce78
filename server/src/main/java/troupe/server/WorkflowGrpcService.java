package troupe.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import troupe.actors.TroupeNode;
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
import troupe.v1.WorkflowStatus;

/** The public gRPC API; it only translates between the wire and {@link TroupeNode}. */
final class WorkflowGrpcService extends WorkflowServiceGrpc.WorkflowServiceImplBase {
  private final TroupeNode node;

  WorkflowGrpcService(TroupeNode node) {
    this.node = node;
  }

  @Override
  public void submitWorkflow(SubmitWorkflowRequest request, StreamObserver<SubmitWorkflowResponse> out) {
    WorkflowSpec spec;
    CompletionStage<WorkflowStatus> submitted;
    try {
      spec = switch (request.getSourceCase()) {
        case SPEC -> request.getSpec();
        case SPEC_YAML -> WorkflowYaml.parse(request.getSpecYaml());
        default -> throw new SpecException("the request needs a workflow: set spec or spec_yaml");
      };
      submitted = node.submit(spec);
    } catch (SpecException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("invalid workflow: " + e.getMessage()).asRuntimeException());
      return;
    }
    reply(submitted, s -> SubmitWorkflowResponse.newBuilder().setWorkflowId(s.getWorkflowId()).build(), out);
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
    ServerCallStreamObserver<WorkflowEvent> stream = (ServerCallStreamObserver<WorkflowEvent>) out;
    node.watch(request.getWorkflowId(), request.getAfterSeq(), event -> {
      synchronized (stream) {
        if (stream.isCancelled()) {
          return false; // the client hung up: stop forwarding
        }
        stream.onNext(event);
        if (event.hasCompleted() || event.hasFailed() || event.hasCancelled()) {
          stream.onCompleted();
          return false;
        }
        return true;
      }
    }).whenComplete((found, error) -> {
      synchronized (stream) {
        if (error != null) {
          stream.onError(Status.UNAVAILABLE.withDescription(error.getMessage()).asRuntimeException());
        } else if (!found) {
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
          : Status.UNAVAILABLE.withDescription(String.valueOf(cause.getMessage())).asRuntimeException());
    });
  }
}
