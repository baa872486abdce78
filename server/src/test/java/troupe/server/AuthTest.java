package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import troupe.actors.NodeConfig;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.DownloadArtifactRequest;
import troupe.v1.GetWorkflowRequest;
import troupe.v1.ListArtifactsRequest;
import troupe.v1.ListWorkflowsRequest;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowServiceGrpc;

/** The bearer token on a real loopback port: every call but health needs it, and where servers and clients get it. */
class AuthTest {
  static final String TOKEN = BearerToken.random();

  @TempDir static Path dir;
  static TroupeServer server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    server = TroupeServer.start(NodeConfig.embedded(dir.resolve("data")), "127.0.0.1", 0,
        ServerSecurity.token(TOKEN), ServerLimits.DEFAULTS);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
  }

  @AfterEach
  void realEnvironment() {
    TroupeCli.environment = System::getenv;
  }

  /** Every WorkflowService method, called once; each throws if the call is rejected. */
  static List<Function<WorkflowServiceGrpc.WorkflowServiceBlockingStub, Object>> everyMethod() {
    return List.of(
        api -> api.listWorkflows(ListWorkflowsRequest.getDefaultInstance()),
        api -> api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build()),
        api -> api.submitWorkflow(SubmitWorkflowRequest.newBuilder()
            .setSpecYaml(GrpcApiTest.TINY + "stages: [{sft: {steps: 1}}]").build()),
        api -> api.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build()),
        api -> api.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build()).hasNext(),
        api -> api.listArtifacts(ListArtifactsRequest.newBuilder().setWorkflowId("wf-nope").build()),
        api -> api.downloadArtifact(DownloadArtifactRequest.newBuilder().setWorkflowId("wf-nope").setPath("x")
            .build()).hasNext());
  }

  static Status rejection(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus();
  }

  /** Sends the header exactly as given, to try malformed ones. */
  static CallCredentials header(String value) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(BearerToken.AUTHORIZATION, value);
        applier.apply(headers);
      }
    };
  }

  @Test
  void everyWorkflowCallNeedsTheRightToken() {
    var anonymous = WorkflowServiceGrpc.newBlockingStub(channel);
    var wrong = anonymous.withCallCredentials(new BearerToken(BearerToken.random()));
    var prefix = anonymous.withCallCredentials(new BearerToken(TOKEN.substring(0, TOKEN.length() - 1)));
    var basic = anonymous.withCallCredentials(header("Basic " + TOKEN));
    for (var method : everyMethod()) {
      Status s = rejection(() -> method.apply(anonymous));
      assertEquals(Status.Code.UNAUTHENTICATED, s.getCode(), s.toString());
      assertTrue(s.getDescription().startsWith("missing bearer token; pass --token or set TROUPE_TOKEN"), s.toString());
      for (var stub : List.of(wrong, prefix)) {
        s = rejection(() -> method.apply(stub));
        assertEquals(Status.Code.UNAUTHENTICATED, s.getCode(), s.toString());
        assertEquals("wrong bearer token", s.getDescription());
      }
      s = rejection(() -> method.apply(basic));
      assertEquals(Status.Code.UNAUTHENTICATED, s.getCode(), s.toString());
      assertTrue(s.getDescription().contains("Bearer <token>"), s.toString());
    }

    var valid = anonymous.withCallCredentials(new BearerToken(TOKEN));
    assertEquals(0, valid.listWorkflows(ListWorkflowsRequest.getDefaultInstance()).getWorkflowsCount(),
        "the rejected submits started nothing");
    assertEquals(Status.Code.NOT_FOUND, rejection(() -> valid.getWorkflow(
        GetWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build())).getCode(), "past the token check");
    var lowerCaseScheme = anonymous.withCallCredentials(header("bearer " + TOKEN));
    assertEquals(0, lowerCaseScheme.listWorkflows(ListWorkflowsRequest.getDefaultInstance()).getWorkflowsCount());
  }

  @Test
  void healthChecksNeedNoToken() {
    HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).check(
        HealthCheckRequest.newBuilder().setService("troupe.v1.WorkflowService").build());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
  }

  @Test
  void reflectionNeedsTheToken() throws Exception {
    Status s = assertThrows(Exception.class, () -> listServices(ServerReflectionGrpc.newStub(channel)))
        .getCause() instanceof StatusRuntimeException e ? e.getStatus() : null;
    assertTrue(s != null && s.getCode() == Status.Code.UNAUTHENTICATED, String.valueOf(s));
    ServerReflectionResponse r = listServices(ServerReflectionGrpc.newStub(channel)
        .withCallCredentials(new BearerToken(TOKEN)));
    assertTrue(r.getListServicesResponse().getServiceList().stream()
        .anyMatch(service -> service.getName().equals("troupe.v1.WorkflowService")), r.toString());
  }

  static ServerReflectionResponse listServices(ServerReflectionGrpc.ServerReflectionStub stub) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = stub.serverReflectionInfo(new StreamObserver<>() {
      @Override
      public void onNext(ServerReflectionResponse value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() { }
    });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();
    return answer.get(10, TimeUnit.SECONDS);
  }

  @Test
  void theGeneratedTokenFileIsOwnerOnlyAndReused(@TempDir Path data) throws Exception {
    Path file = TokenFile.in(data);
    String token = TokenFile.readOrCreate(file);
    assertTrue(token.matches("[A-Za-z0-9_-]{43}"), "32 random bytes in base64url: " + token.length() + " chars");
    assertEquals(token + "\n", Files.readString(file));
    if (OwnerOnlyFiles.posix(data)) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    }
    assertEquals(token, TokenFile.readOrCreate(file), "a later start reuses it");
    try (var files = Files.list(file.getParent())) {
      assertEquals(List.of("token"), files.map(p -> p.getFileName().toString()).toList(), "no temporary files left");
    }
    Files.writeString(file, "two words\n");
    assertTrue(assertThrows(java.io.IOException.class, () -> TokenFile.read(file)).getMessage()
        .contains("printable ASCII without spaces"));
  }

  /** `troupe server` as the command line starts it, without blocking: where its token comes from. */
  static TroupeServer serverCommand(Path data, String... extra) throws Exception {
    TroupeCli.Server command = new TroupeCli.Server();
    List<String> args = new java.util.ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--cluster-port", "0",
        "--data-dir", data.toString()));
    args.addAll(List.of(extra));
    new CommandLine(command).parseArgs(args.toArray(String[]::new));
    return command.open();
  }

  static void environment(Map<String, String> variables) {
    TroupeCli.environment = variables::get;
  }

  @Test
  void theServerCommandAlwaysRequiresAToken(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    environment(Map.of());
    String token;
    CliTest.Output printed;
    try (var captured = new Captured()) {
      try (TroupeServer s = serverCommand(data)) {
        token = TokenFile.read(TokenFile.in(data));
        assertEquals(token, s.token());
        assertEquals(Status.Code.UNAUTHENTICATED, rejection(() -> {
          try (TroupeClient anonymous = new TroupeClient("127.0.0.1:" + s.port())) {
            anonymous.list();
          }
        }).getCode());
      }
      printed = captured.output();
    }
    assertTrue(printed.out().contains(TokenFile.in(data).toAbsolutePath().toString()), printed.out());
    assertFalse(printed.out().contains(token), "the token itself is never printed");

    environment(Map.of("TROUPE_TOKEN", "from-the-environment"));
    try (TroupeServer s = serverCommand(data)) {
      assertEquals("from-the-environment", s.token(), "TROUPE_TOKEN wins over the generated file");
    }
    Path file = Files.writeString(tmp.resolve("my-token"), "from-a-file\n");
    try (TroupeServer s = serverCommand(data, "--token-file", file.toString())) {
      assertEquals("from-a-file", s.token(), "--token-file wins over TROUPE_TOKEN");
    }
    var missing = assertThrows(CommandLine.ParameterException.class,
        () -> serverCommand(data, "--token-file", tmp.resolve("nope").toString()));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void clientCommandsSendTheTokenFromFlagsTheEnvironmentOrAFile(@TempDir Path tmp) throws Exception {
    String target = "127.0.0.1:" + server.port();
    environment(Map.of());
    CliTest.Output out = CliTest.capture(() -> TroupeCli.run("list", "--server", target));
    assertEquals(2, out.code());
    assertTrue(out.err().contains("UNAUTHENTICATED: missing bearer token"), out.err());
    out = CliTest.capture(() -> TroupeCli.run("list", "--server", target, "--token", "not-it"));
    assertEquals(2, out.code());
    assertTrue(out.err().contains("UNAUTHENTICATED: wrong bearer token"), out.err());
    assertEquals(0, CliTest.capture(() -> TroupeCli.run("list", "--server", target, "--token", TOKEN)).code());

    Path file = Files.writeString(tmp.resolve("token"), TOKEN + "\n");
    assertEquals(0, CliTest.capture(() -> TroupeCli.run("list", "--server", target, "--token-file", file.toString()))
        .code());
    environment(Map.of("TROUPE_TOKEN", TOKEN));
    assertEquals(0, CliTest.capture(() -> TroupeCli.run("list", "--server", target)).code());
    environment(Map.of("TROUPE_TOKEN", "not-it"));
    assertEquals(0, CliTest.capture(() -> TroupeCli.run("list", "--server", target, "--token-file", file.toString()))
        .code(), "a flag wins over the environment");
    out = CliTest.capture(() -> TroupeCli.run("status", "--server", target, "--token-file",
        tmp.resolve("missing").toString(), "wf-x"));
    assertEquals(1, out.code());
    assertTrue(out.err().contains("no such file") && out.err().contains("missing"), out.err());
  }

  /** System.out and System.err captured for a block that is not a single command. */
  static final class Captured implements AutoCloseable {
    private final java.io.PrintStream oldOut = System.out;
    private final java.io.PrintStream oldErr = System.err;
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    private final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();

    Captured() {
      System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
      System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    }

    CliTest.Output output() {
      return new CliTest.Output(0, out.toString(java.nio.charset.StandardCharsets.UTF_8),
          err.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
