package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.ClusterKeys;
import troupe.actors.NodeConfig;
import troupe.actors.WorkerRole;
import troupe.v1.StepMetrics;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowServiceGrpc;

/**
 * The cluster on a real network interface instead of loopback: the server and a worker process bind and advertise
 * the machine's own IPv4 address, so Artery, the data plane (weights to the worker's rollout) and gRPC all go through
 * the names other hosts would use. Skipped on a machine whose only interface is loopback.
 */
class NonLoopbackTest {
  /** The first IPv4 address of an interface that is up and not loopback. */
  static Optional<String> ownAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
            return Optional.of(a.getHostAddress());
          }
        }
      }
    }
    return Optional.empty();
  }

  @Test
  @Timeout(300)
  void serverAndWorkerOnTheMachinesOwnAddress(@TempDir Path dir) throws Exception {
    Optional<String> own = ownAddress();
    assumeTrue(own.isPresent(), "no network interface other than loopback");
    String host = own.get();
    Path keys = ClusterKeys.generate(dir.resolve("keys")).dir();
    try (TroupeServer server = TroupeServer.start(new NodeConfig(host, 0, List.of(),
        EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE, WorkerRole.REWARD), true, dir).withClusterKeys(keys),
        host, 0);
        NodeProcess worker = NodeProcess.worker(dir, "worker", server.node().clusterAddress(), "rollout", null, keys,
            host)) {
      assertTrue(server.node().clusterAddress().startsWith(host + ":"), server.node().clusterAddress());
      assertTrue(worker.address.startsWith(host + ":"), worker.address);
      ManagedChannel channel = NettyChannelBuilder.forAddress(host, server.port()).usePlaintext().build();
      List<WorkflowEvent> events = new ArrayList<>();
      try {
        var api = WorkflowServiceGrpc.newBlockingStub(channel);
        String id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder()
            .setSpecYaml(MultiNodeTest.workflow(3, 1)).build()).getWorkflowId();
        api.withDeadlineAfter(240, TimeUnit.SECONDS).watchWorkflow(WatchWorkflowRequest.newBuilder()
            .setWorkflowId(id).build()).forEachRemaining(events::add);
      } finally {
        channel.shutdownNow();
      }
      assertTrue(MultiNodeTest.completed(events), () -> "events: " + events);
      List<StepMetrics> steps = MultiNodeTest.grpoSteps(events);
      assertEquals(3, steps.size());
      MultiNodeTest.assertEverySampleOnce(steps);
      // The only rollout worker is the other process's: every step's samples came from weights it fetched over the
      // data plane on the non-loopback address.
      assertEquals(Set.of(worker.address), MultiNodeTest.rolloutNodes(steps, s -> true));
    }
  }
}
