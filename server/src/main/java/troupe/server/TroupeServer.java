package troupe.server;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import troupe.actors.NodeConfig;
import troupe.actors.TroupeNode;

/** A cluster node plus the gRPC port: the WorkflowService, health checking and server reflection. */
public final class TroupeServer implements AutoCloseable {
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final TroupeNode node;
  private final Server grpc;

  private TroupeServer(TroupeNode node, Server grpc) {
    this.node = node;
    this.grpc = grpc;
  }

  /** Listens on host:port for gRPC (port 0 picks a free port). */
  public static TroupeServer start(NodeConfig config, String grpcHost, int grpcPort) {
    return start(config, NettyServerBuilder.forAddress(new InetSocketAddress(grpcHost, grpcPort)));
  }

  /** An in-process gRPC server, for tests: same service, no sockets. */
  public static TroupeServer inProcess(NodeConfig config, String name) {
    return start(config, InProcessServerBuilder.forName(name));
  }

  private static TroupeServer start(NodeConfig config, ServerBuilder<?> builder) {
    TroupeNode node = TroupeNode.start(config);
    HealthStatusManager health = new HealthStatusManager();
    Server server = builder.addService(new WorkflowGrpcService(node))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .build();
    try {
      server.start();
    } catch (IOException e) {
      node.close();
      throw new UncheckedIOException("cannot start the gRPC server: " + e.getMessage(), e);
    }
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus("troupe.v1.WorkflowService", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    return new TroupeServer(node, server);
  }

  public int port() {
    return grpc.getPort();
  }

  public TroupeNode node() {
    return node;
  }

  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  @Override
  public void close() {
    grpc.shutdown();
    try {
      grpc.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    grpc.shutdownNow();
    node.close();
  }
}
