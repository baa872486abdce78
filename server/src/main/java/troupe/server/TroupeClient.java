package troupe.server;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.GetWorkflowRequest;
import troupe.v1.ListWorkflowsRequest;
import troupe.v1.ListWorkflowsResponse;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;
import troupe.v1.WorkflowStatus;

/** A thin blocking client of a Troupe server, used by the command line. */
final class TroupeClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final WorkflowServiceGrpc.WorkflowServiceBlockingStub stub;

  TroupeClient(String target) {
    this.channel = ManagedChannelBuilder.forTarget(target).usePlaintext()
        .maxInboundMessageSize(TroupeServer.MAX_MESSAGE_BYTES).build();
    this.stub = WorkflowServiceGrpc.newBlockingStub(channel);
  }

  WorkflowServiceGrpc.WorkflowServiceBlockingStub stub() {
    return stub;
  }

  String submitYaml(String yaml) {
    return stub.submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(yaml).build()).getWorkflowId();
  }

  WorkflowStatus get(String id) {
    return stub.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(id).build());
  }

  ListWorkflowsResponse list() {
    return stub.listWorkflows(ListWorkflowsRequest.getDefaultInstance());
  }

  WorkflowStatus cancel(String id) {
    return stub.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
  }

  Iterator<WorkflowEvent> watch(String id) {
    return stub.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
