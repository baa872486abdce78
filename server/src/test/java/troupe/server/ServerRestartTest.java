package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;
import troupe.v1.StepMetrics;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;

/**
 * kill -9 of the server process in the middle of GRPO, then a new server process on the same data folder: the
 * workflow goes on by itself from its newest resume point, a watcher that reconnects gets the history and then the
 * live events, the GRPO steps run 1..N once each, and the metrics equal those of a run that was never killed.
 */
class ServerRestartTest {
  static final String WORKFLOW = """
      name: restart
      seed: 11
      model: {layers: 1, d_model: 32, heads: 2, d_ff: 64, max_seq_len: 16}
      task: {kind: reverse, min_digits: 3, max_digits: 4, labelled_size: 64, eval_size: 8}
      eval: {every_steps: 10, samples_shown: 0}
      runtime: {resume_every_steps: 3}
      stages:
        - sft: {steps: 4, batch_size: 8}
        - grpo: {steps: 40, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
      """;

  private static WorkflowServiceGrpc.WorkflowServiceBlockingStub api(ManagedChannel channel) {
    return WorkflowServiceGrpc.newBlockingStub(channel);
  }

  /** A `troupe server` process requires the token it generated in its data folder. */
  private static WorkflowServiceGrpc.WorkflowServiceBlockingStub api(ManagedChannel channel, Path data)
      throws java.io.IOException {
    return api(channel).withCallCredentials(new BearerToken(TokenFile.read(TokenFile.in(data))));
  }

  private static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  static List<StepMetrics> grpo(List<WorkflowEvent> events) {
    return events.stream().filter(e -> e.hasStep() && e.getStep().getStageIndex() == 1).map(WorkflowEvent::getStep)
        .toList();
  }

  @Test
  @Timeout(300)
  void killedServerResumesTheWorkflowWithTheSameMetrics(@TempDir Path dir) throws Exception {
    List<WorkflowEvent> straight = new ArrayList<>();
    try (TroupeServer server = TroupeServer.start(NodeConfig.embedded(dir.resolve("straight")), "127.0.0.1", 0)) {
      ManagedChannel channel = channel(server.port());
      String id = api(channel).submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(WORKFLOW).build())
          .getWorkflowId();
      api(channel).watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build())
          .forEachRemaining(straight::add);
      channel.shutdownNow();
    }
    assertTrue(straight.get(straight.size() - 1).hasCompleted());

    Path data = dir.resolve("killed");
    String id;
    NodeProcess first = NodeProcess.server(dir, "server-1", data);
    try {
      ManagedChannel channel = channel(first.grpcPort);
      id = api(channel, data).submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(WORKFLOW).build())
          .getWorkflowId();
      var events = api(channel, data).withDeadlineAfter(120, TimeUnit.SECONDS)
          .watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build());
      while (events.hasNext()) {
        WorkflowEvent e = events.next();
        if (e.hasStep() && e.getStep().getStageIndex() == 1 && e.getStep().getStep() == 8) {
          break;
        }
      }
      first.kill();
      channel.shutdownNow();
    } finally {
      first.close();
    }

    long restartedAt = System.nanoTime();
    try (NodeProcess second = NodeProcess.server(dir, "server-2", data)) {
      ManagedChannel channel = channel(second.grpcPort);
      List<WorkflowEvent> resumed = new ArrayList<>();
      double[] firstNewStep = {Double.NaN};
      var stream = api(channel, data).withDeadlineAfter(180, TimeUnit.SECONDS)
          .watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build());
      while (stream.hasNext()) {
        WorkflowEvent e = stream.next();
        resumed.add(e);
        boolean afterRestart = resumed.stream().anyMatch(x -> x.hasNotice()
            && x.getNotice().getText().startsWith("the server restarted"));
        if (afterRestart && e.hasStep() && Double.isNaN(firstNewStep[0])) {
          firstNewStep[0] = (System.nanoTime() - restartedAt) / 1e9;
        }
      }
      channel.shutdownNow();
      // Information for the benchmark notes, not an assertion: JVM start, journal recovery, model setup, one step.
      System.out.printf("resume: %.1f s from starting the new server process to its first new step%n",
          firstNewStep[0]);

      assertTrue(resumed.get(resumed.size() - 1).hasCompleted(), () -> "events: " + resumed);
      assertTrue(resumed.stream().anyMatch(e -> e.hasNotice()
          && e.getNotice().getText().startsWith("the server restarted; resuming from resume/stage-1-step-")),
          () -> "events: " + resumed);
      List<StepMetrics> a = grpo(straight);
      List<StepMetrics> b = grpo(resumed);
      assertEquals(a.stream().map(StepMetrics::getStep).toList(), b.stream().map(StepMetrics::getStep).toList());
      for (int i = 0; i < a.size(); i++) {
        assertEquals(a.get(i).getRewardMean(), b.get(i).getRewardMean(), 1e-9, "reward at step " + (i + 1));
        assertEquals(a.get(i).getLoss(), b.get(i).getLoss(), 1e-6, "loss at step " + (i + 1));
      }
      List<Double> evalsA = straight.stream().filter(WorkflowEvent::hasEval).map(e -> e.getEval().getAccuracy())
          .toList();
      assertEquals(evalsA, resumed.stream().filter(WorkflowEvent::hasEval).map(e -> e.getEval().getAccuracy())
          .toList());
      for (int i = 0; i < resumed.size(); i++) {
        assertEquals(i + 1, resumed.get(i).getSeq(), "event numbers stay gapless");
      }
    }
  }
}
