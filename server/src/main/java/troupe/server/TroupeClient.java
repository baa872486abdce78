package troupe.server;

import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import troupe.v1.Artifact;
import troupe.v1.ArtifactChunk;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.DownloadArtifactRequest;
import troupe.v1.GetWorkflowRequest;
import troupe.v1.ListArtifactsRequest;
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
  private final WorkflowServiceGrpc.WorkflowServiceStub asyncStub;

  /** Plaintext and without a token: for tests against a server started without security. */
  TroupeClient(String target) {
    this(target, ClientSecurity.NONE);
  }

  TroupeClient(String target, ClientSecurity security) {
    this.channel = Grpc.newChannelBuilder(target, credentials(security))
        .maxInboundMessageSize(ServerLimits.DEFAULT_MAX_MESSAGE_BYTES).build();
    if (security.token() == null) {
      this.stub = WorkflowServiceGrpc.newBlockingStub(channel);
      this.asyncStub = WorkflowServiceGrpc.newStub(channel);
    } else {
      BearerToken token = new BearerToken(security.token());
      this.stub = WorkflowServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
      this.asyncStub = WorkflowServiceGrpc.newStub(channel).withCallCredentials(token);
    }
  }

  /** A client of a server in this process on a loopback port, with that server's token. */
  static TroupeClient of(TroupeServer server) {
    return new TroupeClient("127.0.0.1:" + server.port(),
        server.token() == null ? ClientSecurity.NONE : ClientSecurity.token(server.token()));
  }

  private static ChannelCredentials credentials(ClientSecurity security) {
    if (!security.tls()) {
      return InsecureChannelCredentials.create();
    }
    if (security.trustedCert() == null) {
      return TlsChannelCredentials.create(); // the system's trusted CAs
    }
    try {
      return TlsChannelCredentials.newBuilder().trustManager(security.trustedCert().toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the trusted certificate " + security.trustedCert() + ": "
          + e.getMessage(), e);
    }
  }

  WorkflowServiceGrpc.WorkflowServiceBlockingStub stub() {
    return stub;
  }

  /** The streaming stub, with the same channel and token, for callers that watch many workflows at once. */
  WorkflowServiceGrpc.WorkflowServiceStub asyncStub() {
    return asyncStub;
  }

  ManagedChannel channel() {
    return channel;
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

  List<Artifact> listArtifacts(String workflowId) {
    return stub.listArtifacts(ListArtifactsRequest.newBuilder().setWorkflowId(workflowId).build()).getArtifactsList();
  }

  /**
   * Downloads one file of a workflow to {@code target} and returns its size. The bytes go to a temporary file next
   * to the target that is moved into place only when complete, so the target is never left half-written.
   */
  long downloadArtifact(String workflowId, String path, Path target) throws IOException {
    Path destination = target.toAbsolutePath();
    // Cancelling this context on the way out ends the call on the server too if we stop reading early.
    Context.CancellableContext call = Context.current().withCancellation();
    Context previous = call.attach();
    Path temp = null;
    try {
      Iterator<ArtifactChunk> chunks = stub.downloadArtifact(
          DownloadArtifactRequest.newBuilder().setWorkflowId(workflowId).setPath(path).build());
      if (!chunks.hasNext()) { // also where a rejected request throws, before anything is created locally
        throw new IOException("the server sent no data for \"" + path + "\"");
      }
      if (Files.isDirectory(destination)) { // checked after the server, whose answer to a bad path comes first
        throw new IOException(target + " is a directory");
      }
      temp = Files.createFile(destination.resolveSibling(
          "." + destination.getFileName() + "." + UUID.randomUUID().toString().substring(0, 8) + ".part"));
      long written = 0;
      long total = -1;
      try (OutputStream out = Files.newOutputStream(temp)) {
        while (chunks.hasNext()) {
          ArtifactChunk chunk = chunks.next();
          if (chunk.getOffset() != written) {
            throw new IOException("chunk at offset " + chunk.getOffset() + " but " + written
                + " bytes were received: the download is not contiguous");
          }
          if (total >= 0 && chunk.getTotalBytes() != total) {
            throw new IOException("total size changed from " + total + " to " + chunk.getTotalBytes()
                + " bytes during the download");
          }
          total = chunk.getTotalBytes();
          chunk.getData().writeTo(out);
          written += chunk.getData().size();
        }
      }
      if (written != total) {
        throw new IOException("received " + written + " bytes of \"" + path + "\" but the server announced "
            + total);
      }
      Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
      return written;
    } finally {
      call.detach(previous);
      call.cancel(null);
      if (temp != null) {
        Files.deleteIfExists(temp);
      }
    }
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
