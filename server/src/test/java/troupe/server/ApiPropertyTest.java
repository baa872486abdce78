package troupe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import troupe.actors.NodeConfig;
import troupe.actors.TroupeNode;
import troupe.actors.WorkerRole;
import troupe.trainers.spec.RlPresets;
import troupe.v1.ArtifactChunk;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.DownloadArtifactRequest;
import troupe.v1.GetWorkflowRequest;
import troupe.v1.ListArtifactsRequest;
import troupe.v1.ListWorkflowsRequest;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;
import troupe.v1.WorkflowSpec;
import troupe.v1.WorkflowState;

/**
 * Property-based (jqwik): thousands of random and mutated workflow specs and random requests against an
 * in-process server. Every answer is OK or a status that says the client asked wrongly (INVALID_ARGUMENT,
 * NOT_FOUND, RESOURCE_EXHAUSTED), never UNKNOWN, INTERNAL or a hang; nothing outside a workflow folder is served,
 * and no accepted spec names a file outside the server's input folders. Afterwards the server still answers health
 * checks, a tiny workflow still completes, and threads did not pile up.
 *
 * <p>The server's node hosts no workers: an accepted spec is cancelled at once and never reaches a model build
 * (the bounds allow models of tens of millions of parameters, slow to build thousands of times). Workers join at
 * the end, for the tiny workflow.
 */
class ApiPropertyTest {
  static final String SECRET = "outside-the-workflow-folder";
  static final Set<Status.Code> SUBMIT_REFUSALS = EnumSet.of(Status.Code.INVALID_ARGUMENT,
      Status.Code.RESOURCE_EXHAUSTED);
  static final Set<Status.Code> REQUEST_REFUSALS = EnumSet.of(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND,
      Status.Code.RESOURCE_EXHAUSTED);

  static Path dir;
  static TroupeServer server;
  static ManagedChannel channel;
  static WorkflowServiceGrpc.WorkflowServiceBlockingStub api;
  static int threadsBefore;
  /** Workflows that exist; requests pick from them as well as making ids up. */
  static final List<String> known = new CopyOnWriteArrayList<>();
  static String withLinks;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("troupe-properties");
    server = TroupeServer.inProcess(new NodeConfig("127.0.0.1", 0, List.of(), Set.of(), true, dir.resolve("data")),
        "properties", ServerSecurity.NONE, ServerLimits.DEFAULTS);
    channel = InProcessChannelBuilder.forName("properties").build();
    api = WorkflowServiceGrpc.newBlockingStub(channel);
    // One workflow whose folder links to a file and a folder outside it.
    withLinks = submitAndCancel(GrpcApiTest.TINY + "stages: [{sft: {steps: 1}}]");
    Path folder = Path.of(api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(withLinks).build())
        .getFolder());
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), SECRET);
    Files.createDirectories(folder);
    Files.createSymbolicLink(folder.resolve("escape"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(folder.resolve("escape-dir"), outside);
    Files.createSymbolicLink(folder.resolve("up"), folder.getParent());
    // The input folder: one good file, and links that lead out of it (SpecArbitraries.hostilePaths points here).
    Path inputs = dir.resolve("data").resolve("inputs");
    Files.writeString(inputs.resolve("ok.jsonl"), "{\"prompt\": \"12=\", \"completion\": \"21\"}\n");
    Files.createSymbolicLink(inputs.resolve("escape"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(inputs.resolve("escape-dir"), outside);
    SpecArbitraries.hostileDir = dir;
    threadsBefore = Thread.activeCount();
  }

  static String submitAndCancel(String yaml) {
    String id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(yaml).build()).getWorkflowId();
    api.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
    known.add(id);
    return id;
  }

  // ---- specs

  @Provide
  Arbitrary<SpecArbitraries.Submission> submissions() {
    return SpecArbitraries.submissions();
  }

  @Property(tries = 2000)
  void everySubmissionIsAcceptedOrRefusedWithAReason(@ForAll("submissions") SpecArbitraries.Submission s)
      throws Exception {
    Status.Code outcome;
    try {
      String id = api.withDeadlineAfter(30, TimeUnit.SECONDS).submitWorkflow(s.request()).getWorkflowId();
      known.add(id);
      api.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
      assertFilesInsideInputFolders(api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(id).build())
          .getSpec());
      outcome = Status.Code.OK;
    } catch (StatusRuntimeException e) {
      outcome = e.getStatus().getCode();
      assertTrue(SUBMIT_REFUSALS.contains(outcome), () -> "refused with " + e.getStatus());
      assertFalse(e.getStatus().getDescription() == null || e.getStatus().getDescription().isBlank(),
          "a refusal says why");
    }
    Statistics.label("kind").collect(s.kind());
    Statistics.label("outcome").collect(outcome);
  }

  /**
   * Every file an accepted spec names that will be read (a plain name is a file an earlier stage writes into the
   * workflow folder) leads, links resolved, into one of the server's input folders.
   */
  static void assertFilesInsideInputFolders(WorkflowSpec spec) throws java.io.IOException {
    List<Path> roots = new ArrayList<>();
    for (Path root : server.node().inputs().folders()) {
      roots.add(root.toRealPath());
    }
    List<String> files = new ArrayList<>(List.of(spec.getModel().getInitCheckpoint(),
        spec.getImageModel().getInitCheckpoint(), spec.getReward().getCheckpoint(), spec.getTask().getTrainFile(),
        spec.getTask().getEvalFile()));
    for (var stage : spec.getStagesList()) {
      files.addAll(List.of(stage.getSft().getTrainFile(), stage.getDpo().getTrainFile(),
          stage.getRewardModel().getTrainFile()));
      if (RlPresets.isRl(stage)) {
        files.add(RlPresets.config(stage).getReward().getCheckpoint());
      }
    }
    for (String file : files) {
      if (!file.isEmpty() && Path.of(file).isAbsolute()) {
        Path real = Path.of(file).toRealPath();
        assertTrue(roots.stream().anyMatch(real::startsWith), () -> "accepted " + file + " outside " + roots);
      }
    }
  }

  // ---- requests

  enum Method { GET, CANCEL, WATCH, LIST_ARTIFACTS, DOWNLOAD, LIST }

  /** {@code knownIndex} >= 0 picks an existing workflow (modulo their number) instead of {@code madeUpId}. */
  record Request(Method method, int knownIndex, String madeUpId, String path, long afterSeq) {
    String id() {
      return knownIndex >= 0 ? known.get(knownIndex % known.size()) : madeUpId;
    }
  }

  @Provide
  Arbitrary<Request> requests() {
    Arbitrary<String> ids = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.strings().withCharRange('0', '9').withCharRange('a', 'f').ofLength(8).map(h -> "wf-" + h)),
        Tuple.of(2, SpecArbitraries.strings(60)),
        Tuple.of(1, Arbitraries.of("", " ", "../wf-x", "wf-\u0000", "*", "%", "x".repeat(10_000), "wf-🙂")));
    Arbitrary<String> paths = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of("spec.json", "events.jsonl", "metrics.jsonl", "escape", "escape-dir/secret.txt",
            "up/" + "x", "../outside/secret.txt", "../../outside/secret.txt", "..", ".", "", "/", "/etc/passwd",
            "checkpoints/../../x", "a//b", "./spec.json", "spec.json/", "..\\x", "%2e%2e/x", "spec.json\u0000.png",
            "C:/Windows/win.ini", "escape-dir", "up", "up/spec.json")),
        Tuple.of(2, SpecArbitraries.strings(80)),
        Tuple.of(1, Arbitraries.integers().between(1, 20).map(n -> "../".repeat(n) + "outside/secret.txt")),
        Tuple.of(1, Arbitraries.integers().between(100, 20_000).map("a/"::repeat)));
    Arbitrary<Long> afterSeq = Arbitraries.oneOf(Arbitraries.of(-1L, 0L, 1L, 3L, 1000L, Long.MAX_VALUE, Long.MIN_VALUE),
        Arbitraries.longs().between(-5, 50));
    Arbitrary<Integer> knownIndex = Arbitraries.oneOf(Arbitraries.just(-1), Arbitraries.integers().between(0, 1000));
    return Combinators.combine(Arbitraries.of(Method.class), knownIndex, ids, paths, afterSeq).as(Request::new);
  }

  @Property(tries = 1000)
  void everyRequestIsAnsweredOrRefusedWithAReason(@ForAll("requests") Request r) throws Exception {
    var deadline = api.withDeadlineAfter(30, TimeUnit.SECONDS);
    String id = r.id();
    Status.Code outcome = Status.Code.OK;
    try {
      switch (r.method()) {
        case GET -> assertEquals(id, deadline.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(id).build())
            .getWorkflowId());
        case CANCEL -> deadline.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
        case LIST -> deadline.listWorkflows(ListWorkflowsRequest.getDefaultInstance());
        case LIST_ARTIFACTS -> deadline.listArtifacts(ListArtifactsRequest.newBuilder().setWorkflowId(id).build())
            .getArtifactsList().forEach(a -> assertFalse(a.getPath().contains("..") || a.getPath().startsWith("/")
                || a.getPath().startsWith("escape") || a.getPath().startsWith("up"), a.getPath()));
        case WATCH -> {
          long previous = Math.max(0, r.afterSeq());
          var events = deadline.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id)
              .setAfterSeq(r.afterSeq()).build());
          while (events.hasNext()) { // the workflows here are cancelled, so every stream ends
            WorkflowEvent e = events.next();
            assertEquals(previous + 1, e.getSeq(), "in order, without gaps, after after_seq");
            previous = e.getSeq();
          }
        }
        case DOWNLOAD -> {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          deadline.downloadArtifact(DownloadArtifactRequest.newBuilder().setWorkflowId(id).setPath(r.path()).build())
              .forEachRemaining((ArtifactChunk c) -> bytes.writeBytes(c.getData().toByteArray()));
          Path folder = Path.of(api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(id).build())
              .getFolder()).toRealPath();
          Path file = folder.resolve(r.path()).toRealPath();
          assertTrue(file.startsWith(folder), "served " + file + ", outside " + folder);
          assertFalse(bytes.toString(StandardCharsets.UTF_8).contains(SECRET));
          if (!r.path().equals("events.jsonl")) { // a cancelled workflow may still append its last event
            assertArrayEquals(Files.readAllBytes(file), bytes.toByteArray());
          }
        }
        default -> throw new IllegalStateException();
      }
    } catch (StatusRuntimeException e) {
      outcome = e.getStatus().getCode();
      assertTrue(REQUEST_REFUSALS.contains(outcome), () -> r.method() + " refused with " + e.getStatus());
      assertFalse(e.getStatus().getDescription() == null || e.getStatus().getDescription().isBlank());
    }
    Statistics.label("method and outcome").collect(r.method(), outcome);
  }

  // ---- afterwards

  @AfterContainer
  static void stillServing() throws Exception {
    try {
      awaitNothingRunning();
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus());
      int threadsAfter = Thread.activeCount();
      System.out.println("ApiPropertyTest: " + known.size() + " workflows accepted; threads " + threadsBefore
          + " before, " + threadsAfter + " after");
      assertTrue(threadsAfter <= threadsBefore + 100, threadsBefore + " threads before, " + threadsAfter + " after");

      // Workers join the cluster now, and a tiny workflow runs to the end through the same API.
      try (TroupeNode workers = TroupeNode.start(new NodeConfig("127.0.0.1", 0,
          List.of(server.node().clusterAddress()), EnumSet.allOf(WorkerRole.class), false, dir.resolve("worker")))) {
        String id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(GrpcApiTest.TINY + """
            stages:
              - sft: {steps: 2, batch_size: 4}
              - grpo: {steps: 1, prompts_per_step: 2, group_size: 2, max_new_tokens: 6}
            """).build()).getWorkflowId();
        List<WorkflowEvent> events = new ArrayList<>();
        api.withDeadlineAfter(120, TimeUnit.SECONDS).watchWorkflow(WatchWorkflowRequest.newBuilder()
            .setWorkflowId(id).build()).forEachRemaining(events::add);
        assertTrue(events.get(events.size() - 1).hasCompleted(), () -> "ended with " + events.get(events.size() - 1));
      }
    } finally {
      channel.shutdownNow();
      server.close();
      deleteQuietly(dir);
    }
  }

  static void deleteQuietly(Path root) throws java.io.IOException {
    try (var all = Files.walk(root)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The accepted workflows were cancelled; they end within a poll of their worker wait. */
  static void awaitNothingRunning() throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      boolean running = api.listWorkflows(ListWorkflowsRequest.getDefaultInstance()).getWorkflowsList().stream()
          .anyMatch(w -> w.getState() == WorkflowState.RUNNING || w.getState() == WorkflowState.PENDING);
      if (!running) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("cancelled workflows still running after 30 s");
  }
}
