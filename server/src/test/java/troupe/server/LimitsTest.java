package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;

/** Each of the server's limits refuses what exceeds it, with a message naming the limit and its flag. */
@Timeout(120)
class LimitsTest {
  /** Trains until cancelled. */
  static final String LONG = GrpcApiTest.TINY + "stages:\n  - sft: {steps: 100000, batch_size: 8}\n";

  record Api(TroupeServer server, ManagedChannel channel) implements AutoCloseable {
    WorkflowServiceGrpc.WorkflowServiceBlockingStub blocking() {
      return WorkflowServiceGrpc.newBlockingStub(channel);
    }

    WorkflowServiceGrpc.WorkflowServiceStub async() {
      return WorkflowServiceGrpc.newStub(channel);
    }

    String submit(String yaml) {
      return blocking().submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(yaml).build()).getWorkflowId();
    }

    /** Cancels and waits until the workflow has ended. */
    void cancel(String id) {
      blocking().cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
      blocking().watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build()).forEachRemaining(e -> { });
    }

    @Override
    public void close() {
      channel.shutdownNow();
      server.close();
    }
  }

  static Api inProcess(Path dir, String name, ServerLimits limits) {
    TroupeServer server = TroupeServer.inProcess(NodeConfig.embedded(dir), name, ServerSecurity.NONE, limits);
    return new Api(server, InProcessChannelBuilder.forName(name).build());
  }

  static Status rejection(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus();
  }

  @Test
  void aSpecLargerThanTheLimitIsInvalid(@TempDir Path dir) {
    try (Api api = inProcess(dir, "limits-spec", ServerLimits.DEFAULTS.withMaxSpecBytes(2000))) {
      String padded = LONG + "# " + "x".repeat(2000) + "\n";
      Status s = rejection(() -> api.submit(padded));
      assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
      assertEquals("spec is " + padded.length() + " bytes; the limit is 2000 (--max-spec-bytes)", s.getDescription());

      String unicode = LONG + "# " + "é".repeat(1000) + "\n"; // bytes, not characters, are counted
      s = rejection(() -> api.submit(unicode));
      assertEquals("spec is " + (unicode.length() + 1000) + " bytes; the limit is 2000 (--max-spec-bytes)",
          s.getDescription());

      var structured = WorkflowYaml.parse(LONG).toBuilder().setName("n".repeat(2000)).build();
      s = rejection(() -> api.blocking().submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpec(structured).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
      assertTrue(s.getDescription().matches("spec is \\d+ bytes; the limit is 2000 \\(--max-spec-bytes\\)"),
          s.getDescription());

      api.cancel(api.submit(LONG)); // under the limit: accepted
    }
  }

  @Test
  void runningWorkflowsAreLimitedEvenWhenSubmittedAtOnce(@TempDir Path dir) throws Exception {
    try (Api api = inProcess(dir, "limits-workflows", ServerLimits.DEFAULTS.withMaxWorkflows(2))) {
      List<CompletableFuture<String>> submits = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        CompletableFuture<String> id = new CompletableFuture<>();
        api.async().submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(LONG).build(),
            new io.grpc.stub.StreamObserver<>() {
              @Override
              public void onNext(troupe.v1.SubmitWorkflowResponse r) {
                id.complete(r.getWorkflowId());
              }

              @Override
              public void onError(Throwable t) {
                id.completeExceptionally(t);
              }

              @Override
              public void onCompleted() { }
            });
        submits.add(id);
      }
      List<String> accepted = new ArrayList<>();
      List<String> refused = new ArrayList<>();
      for (CompletableFuture<String> s : submits) {
        try {
          accepted.add(s.get(30, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
          Status status = ((StatusRuntimeException) e.getCause()).getStatus();
          assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
          refused.add(status.getDescription());
        }
      }
      assertEquals(2, accepted.size(), "admissions are serialized: " + refused);
      assertEquals(List.of("2 workflows are running; the limit is 2 (--max-workflows); wait for one to end or cancel "
          + "one"), refused.stream().distinct().toList());

      Status s = rejection(() -> api.submit("stages: [{sft: {learning_rat: 1}}]"));
      assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), "a bad spec is told so even when the server is full");

      api.cancel(accepted.get(0));
      String third = api.submit(LONG); // an ended workflow frees its slot
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, rejection(() -> api.submit(LONG)).getCode());
      api.cancel(accepted.get(1));
      api.cancel(third);
    }
  }

  /** A watch on the async stub; completes with the first event, the returned call can be cancelled. */
  record OpenWatch(CompletableFuture<WorkflowEvent> first, CompletableFuture<Status> end,
      CompletableFuture<ClientCallStreamObserver<WatchWorkflowRequest>> call) {
    static OpenWatch start(Api api, String id) {
      OpenWatch w = new OpenWatch(new CompletableFuture<>(), new CompletableFuture<>(), new CompletableFuture<>());
      api.async().watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build(),
          new ClientResponseObserver<WatchWorkflowRequest, WorkflowEvent>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WatchWorkflowRequest> call) {
              w.call.complete(call);
            }

            @Override
            public void onNext(WorkflowEvent e) {
              w.first.complete(e);
            }

            @Override
            public void onError(Throwable t) {
              w.first.completeExceptionally(t);
              w.end.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              w.end.complete(Status.OK);
            }
          });
      return w;
    }
  }

  @Test
  void openWatchStreamsAreLimitedAndFreedWhenTheyEnd(@TempDir Path dir) throws Exception {
    try (Api api = inProcess(dir, "limits-watchers", ServerLimits.DEFAULTS.withMaxWatchers(3))) {
      String id = api.submit(LONG);
      for (int i = 0; i < 5; i++) { // refused watches hold no slot
        assertEquals(Status.Code.NOT_FOUND, rejection(() -> api.blocking().watchWorkflow(
            WatchWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build()).hasNext()).getCode());
      }
      List<OpenWatch> open = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        OpenWatch w = OpenWatch.start(api, id);
        w.first().get(30, TimeUnit.SECONDS);
        open.add(w);
      }
      Iterator<WorkflowEvent> fourth = api.blocking().watchWorkflow(
          WatchWorkflowRequest.newBuilder().setWorkflowId(id).build());
      Status s = rejection(fourth::hasNext);
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode());
      assertEquals("3 watch streams are open; the limit is 3 (--max-watchers)", s.getDescription());

      open.remove(0).call().get().cancel("client hangs up", null); // frees its slot once the server sees it
      OpenWatch again = null;
      for (int tries = 0; again == null && tries < 50; tries++) {
        OpenWatch w = OpenWatch.start(api, id);
        try {
          w.first().get(30, TimeUnit.SECONDS);
          again = w;
        } catch (java.util.concurrent.ExecutionException e) {
          assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(e.getCause()).getCode());
          Thread.sleep(100);
        }
      }
      assertTrue(again != null, "a cancelled watch frees its slot");
      open.add(again);

      // The workflow ends: the three streams complete and free their slots.
      api.blocking().cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
      for (OpenWatch w : open) {
        assertEquals(Status.Code.OK, w.end().get(30, TimeUnit.SECONDS).getCode());
      }
      for (int i = 0; i < 6; i++) { // more than the limit, one after another: each replays the history and ends
        List<WorkflowEvent> replay = new ArrayList<>();
        api.blocking().watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build())
            .forEachRemaining(replay::add);
        assertTrue(replay.get(replay.size() - 1).hasCancelled());
      }
    }
  }

  /** On a real port: a message over --max-message-bytes is refused by gRPC before the service reads it. */
  @Test
  void messagesLargerThanTheLimitAreRefused(@TempDir Path dir) throws Exception {
    ServerLimits limits = new ServerLimits(64 * 1024, 32 * 1024, 8, 256);
    try (TroupeServer server = TroupeServer.start(NodeConfig.embedded(dir), "127.0.0.1", 0, ServerSecurity.NONE,
        limits);
        TroupeClient client = new TroupeClient("127.0.0.1:" + server.port())) {
      Status s = rejection(() -> client.submitYaml(LONG + "# " + "x".repeat(100 * 1024) + "\n"));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
      assertTrue(s.getDescription().contains("65536"), s.getDescription());
      Path big = java.nio.file.Files.writeString(dir.resolve("big.yaml"), LONG + "# " + "x".repeat(100 * 1024));
      CliTest.Output out = CliTest.capture(() -> TroupeCli.run("submit", "--server", "127.0.0.1:" + server.port(),
          big.toString()));
      assertEquals(2, out.code());
      assertTrue(out.err().contains("RESOURCE_EXHAUSTED") && out.err().contains("--max-message-bytes"), out.err());
      s = rejection(() -> client.submitYaml(LONG + "# " + "x".repeat(40 * 1024) + "\n"));
      assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), "under the message limit, over the spec limit");
      assertEquals(0, client.list().getWorkflowsCount(), "the server still answers");
    }
  }

  @Test
  void limitsMustBeSensible() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ServerLimits(1 << 20, 2 << 20, 8, 256));
    assertTrue(e.getMessage().contains("--max-spec-bytes") && e.getMessage().contains("--max-message-bytes"));
    e = assertThrows(IllegalArgumentException.class, () -> ServerLimits.DEFAULTS.withMaxWorkflows(0));
    assertEquals("--max-workflows must be >= 1, got 0", e.getMessage());
  }
}
