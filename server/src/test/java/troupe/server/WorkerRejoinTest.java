package troupe.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;

/**
 * A `troupe worker` process outlives its server: when the server process stops (SIGTERM) or dies (kill -9) in the
 * middle of a workflow and a new one starts on the same address and data folder, the worker joins it by itself, and
 * the resumed workflow, which needs two rollout workers, completes with the worker serving again.
 */
class WorkerRejoinTest {
  @Test
  @Timeout(300)
  void workerJoinsAServerThatStoppedAndCameBack(@TempDir Path dir) throws Exception {
    assertWorkerComesBack(dir, false);
  }

  @Test
  @Timeout(300)
  void workerJoinsAServerThatWasKilledAndCameBack(@TempDir Path dir) throws Exception {
    assertWorkerComesBack(dir, true);
  }

  private static void assertWorkerComesBack(Path dir, boolean kill) throws Exception {
    int clusterPort;
    try (ServerSocket free = new ServerSocket(0)) {
      clusterPort = free.getLocalPort();
    }
    Path data = dir.resolve("data");
    String id;
    NodeProcess first = NodeProcess.server(dir, "server-1", data, clusterPort);
    // The server made the cluster's keys in its data folder on its first start; the worker uses them.
    try (NodeProcess worker = NodeProcess.worker(dir, "worker", "127.0.0.1:" + clusterPort, "rollout", null,
        data.resolve("auth").resolve("cluster"))) {
      try {
        ManagedChannel channel = channel(first.grpcPort);
        var api = api(channel, data);
        id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(MultiNodeTest.workflow(30, 2))
            .build()).getWorkflowId();
        var events = api.withDeadlineAfter(120, TimeUnit.SECONDS)
            .watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build());
        while (events.hasNext()) {
          WorkflowEvent e = events.next();
          if (e.hasStep() && e.getStep().getStage().startsWith("grpo") && e.getStep().getStep() == 3) {
            break;
          }
        }
        channel.shutdownNow();
        if (kill) {
          first.kill();
        }
      } finally {
        first.close();
      }

      try (NodeProcess second = NodeProcess.server(dir, "server-2", data, clusterPort)) {
        ManagedChannel channel = channel(second.grpcPort);
        List<WorkflowEvent> resumed = new ArrayList<>();
        api(channel, data).withDeadlineAfter(200, TimeUnit.SECONDS)
            .watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build()).forEachRemaining(resumed::add);
        channel.shutdownNow();
        assertTrue(MultiNodeTest.completed(resumed), () -> "events: " + resumed);
        assertTrue(resumed.stream().anyMatch(e -> e.hasNotice()
            && e.getNotice().getText().startsWith("the server restarted")), () -> "events: " + resumed);
        // The steps after the restart were served by a node other than the new server: the worker, joined again.
        int restartedAt = indexOfRestart(resumed);
        List<StepMetrics> after = MultiNodeTest.grpoSteps(resumed.subList(restartedAt, resumed.size()));
        Set<String> nodes = MultiNodeTest.rolloutNodes(after, s -> true);
        assertTrue(!after.isEmpty() && nodes.stream().anyMatch(n -> !n.equals(second.address)),
            () -> "rollout nodes after the restart: " + nodes + ", server " + second.address);
        String log = Files.readString(dir.resolve("worker.log"));
        assertTrue(log.contains("troupe worker: the server is gone; joining 127.0.0.1:" + clusterPort + " again"),
            log);
      }
    }
  }

  private static int indexOfRestart(List<WorkflowEvent> events) {
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).hasNotice() && events.get(i).getNotice().getText().startsWith("the server restarted")) {
        return i;
      }
    }
    return events.size();
  }

  private static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  private static WorkflowServiceGrpc.WorkflowServiceBlockingStub api(ManagedChannel channel, Path data)
      throws java.io.IOException {
    return WorkflowServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(new BearerToken(TokenFile.read(TokenFile.in(data))));
  }
}
