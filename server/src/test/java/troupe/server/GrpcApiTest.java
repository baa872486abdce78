package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.GetWorkflowRequest;
import troupe.v1.ListWorkflowsRequest;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;
import troupe.v1.WorkflowState;
import troupe.v1.WorkflowStatus;

/** The gRPC API in-process, against a real embedded cluster node with real workers. */
class GrpcApiTest {
  static final String TINY = """
      name: api-test
      seed: 3
      model: {layers: 1, d_model: 32, heads: 2, d_ff: 64, max_seq_len: 16}
      task: {kind: reverse, min_digits: 3, max_digits: 4, labelled_size: 32, eval_size: 8}
      eval: {every_steps: 2, samples_shown: 2}
      """;

  @TempDir static Path dir;
  static TroupeServer server;
  static ManagedChannel channel;
  static WorkflowServiceGrpc.WorkflowServiceBlockingStub api;

  @BeforeAll
  static void start() {
    server = TroupeServer.inProcess(NodeConfig.embedded(dir), "api-test");
    channel = InProcessChannelBuilder.forName("api-test").build();
    api = WorkflowServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
  }

  static String submit(String yaml) {
    return api.submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(yaml).build()).getWorkflowId();
  }

  static List<WorkflowEvent> watchToEnd(String id) {
    List<WorkflowEvent> events = new ArrayList<>();
    Iterator<WorkflowEvent> it = api.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build());
    it.forEachRemaining(events::add);
    return events;
  }

  @Test
  void submitWatchGetList() throws Exception {
    String id = submit(TINY + """
        stages:
          - sft: {steps: 4, batch_size: 8}
          - grpo: {steps: 2, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
        """);
    List<WorkflowEvent> events = watchToEnd(id);
    WorkflowEvent last = events.get(events.size() - 1);
    assertTrue(last.hasCompleted(), () -> "last event: " + last);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).getSeq(), "events are numbered without gaps");
    }
    assertEquals(2, events.stream().filter(WorkflowEvent::hasStageStarted).count());
    assertEquals(6, events.stream().filter(WorkflowEvent::hasStep).count());
    assertTrue(events.stream().anyMatch(WorkflowEvent::hasEval));
    assertTrue(events.stream().anyMatch(WorkflowEvent::hasSamples));
    assertTrue(events.stream().anyMatch(WorkflowEvent::hasCheckpoint));
    var grpoStep = events.stream().filter(e -> e.hasStep() && e.getStep().getStageIndex() == 1).findFirst()
        .orElseThrow().getStep();
    assertTrue(grpoStep.getPhaseSecondsMap().keySet().containsAll(
        List.of("rollout", "reward", "reference", "train", "weight_sync")), grpoStep.toString());
    assertTrue(grpoStep.getResponseLength() > 0 && grpoStep.getTokensPerSecond() > 0);

    WorkflowStatus status = api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(id).build());
    assertEquals(WorkflowState.COMPLETED, status.getState());
    assertEquals(4, status.getSpec().getStages(0).getSft().getSteps());
    assertEquals(8, status.getSpec().getTask().getEvalSize());
    Path folder = Path.of(status.getFolder());
    assertTrue(Files.readAllLines(folder.resolve("metrics.jsonl")).size() >= 6);
    assertEquals(events.size(), Files.readAllLines(folder.resolve("events.jsonl")).size());
    try (var checkpoints = Files.list(folder.resolve("checkpoints"))) {
      assertEquals(2, checkpoints.count());
    }
    assertTrue(api.listWorkflows(ListWorkflowsRequest.getDefaultInstance()).getWorkflowsList().stream()
        .anyMatch(w -> w.getWorkflowId().equals(id)));

    // Watching an ended workflow replays its history, and after_seq skips what a client already has.
    List<WorkflowEvent> replay = new ArrayList<>();
    api.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).setAfterSeq(events.size() - 2).build())
        .forEachRemaining(replay::add);
    assertEquals(events.subList(events.size() - 2, events.size()), replay);

    // A client that has every event (or asks beyond the last) gets an empty stream that ends, not one that hangs.
    for (long after : new long[] {events.size(), events.size() + 1000L, Long.MAX_VALUE}) {
      Iterator<WorkflowEvent> rest = api.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
          .watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).setAfterSeq(after).build());
      assertTrue(!rest.hasNext(), "after_seq " + after);
    }
  }

  @Test
  void invalidSpecIsRejectedWithTheFieldPath() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> submit(TINY + "stages:\n  - grpo: {group_size: 1}\n"));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("stages[0].grpo.group_size: must be >= 2, got 1"),
        e.getStatus().getDescription());

    e = assertThrows(StatusRuntimeException.class, () -> submit("stages: [{sft: {learning_rat: 1}}]"));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("stages[0].sft.learning_rat: unknown field"));

    e = assertThrows(StatusRuntimeException.class, () -> submit("stages: [sft"));
    assertTrue(e.getStatus().getDescription().contains("not valid YAML"));

    e = assertThrows(StatusRuntimeException.class,
        () -> api.submitWorkflow(SubmitWorkflowRequest.getDefaultInstance()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());

    // Found by ApiPropertyTest: a NUL in a file path made the validator throw, and the client saw UNKNOWN.
    e = assertThrows(StatusRuntimeException.class, () -> submit("model: {init_checkpoint: \"a\\0b\"}\n"
        + "stages: [{sft: {}}]"));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(
        "model.init_checkpoint: not a valid path (Nul character not allowed): \"a\\u0000b\""),
        e.getStatus().getDescription());

    e = assertThrows(StatusRuntimeException.class, () -> submit("name: !!binary \"-_-\"\nstages: [{sft: {}}]"));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), "bad base64 in a YAML !!binary: "
        + e.getStatus());

    int before = api.listWorkflows(ListWorkflowsRequest.getDefaultInstance()).getWorkflowsCount();
    assertThrows(StatusRuntimeException.class, () -> submit(TINY + "task: {kind: poetry}\nstages: [{sft: {}}]"));
    assertEquals(before, api.listWorkflows(ListWorkflowsRequest.getDefaultInstance()).getWorkflowsCount(),
        "nothing is started for a rejected spec");
  }

  @Test
  void unknownIdsAreNotFound() {
    for (Runnable call : List.<Runnable>of(
        () -> api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build()),
        () -> api.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build()),
        () -> api.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId("wf-nope").build()).hasNext())) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }
  }

  @Test
  void cancelEndsARunningWorkflow() {
    String id = submit(TINY + "stages:\n  - sft: {steps: 100000, batch_size: 8}\n");
    Iterator<WorkflowEvent> it = api.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build());
    int steps = 0;
    while (steps < 3) { // wait until it is really training
      if (it.next().hasStep()) {
        steps++;
      }
    }
    api.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
    WorkflowEvent last = null;
    while (it.hasNext()) {
      last = it.next();
    }
    assertTrue(last != null && last.hasCancelled(), "last event: " + last);
    assertEquals(WorkflowState.CANCELLED,
        api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(id).build()).getState());
  }

  @Test
  void healthServiceAnswers() {
    HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).check(
        HealthCheckRequest.newBuilder().setService("troupe.v1.WorkflowService").build());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
  }
}
