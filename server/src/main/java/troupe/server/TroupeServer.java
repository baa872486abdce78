package troupe.server;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
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

/**
 * A cluster node plus the gRPC port: the WorkflowService, health checking and server reflection. With a token,
 * every service but health checking requires it (load balancers probe health without credentials).
 */
public final class TroupeServer implements AutoCloseable {
  private final TroupeNode node;
  private final Server grpc;
  private final ServerSecurity security;

  private TroupeServer(TroupeNode node, Server grpc, ServerSecurity security) {
    this.node = node;
    this.grpc = grpc;
    this.security = security;
  }

  /** Listens on host:port for gRPC (port 0 picks a free port), without token or TLS: for tests. */
  public static TroupeServer start(NodeConfig config, String grpcHost, int grpcPort) {
    return start(config, grpcHost, grpcPort, ServerSecurity.NONE, ServerLimits.DEFAULTS);
  }

  /** Listens on host:port for gRPC with the given token, TLS (if set) and limits. */
  public static TroupeServer start(NodeConfig config, String grpcHost, int grpcPort, ServerSecurity security,
      ServerLimits limits) {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(grpcHost, grpcPort),
        security.credentials());
    return start(config, builder, security, limits);
  }

  /**
   * A server on a free loopback port that only its own process talks to (demo, bench, compare): it requires a
   * fresh random token, held in memory only; {@link TroupeClient#of} connects with it.
   */
  public static TroupeServer embedded(NodeConfig config) {
    return start(config, "127.0.0.1", 0, ServerSecurity.token(BearerToken.random()), ServerLimits.DEFAULTS);
  }

  /** An in-process gRPC server, for tests: same service, no sockets, no token. */
  public static TroupeServer inProcess(NodeConfig config, String name) {
    return inProcess(config, name, ServerSecurity.NONE, ServerLimits.DEFAULTS);
  }

  public static TroupeServer inProcess(NodeConfig config, String name, ServerSecurity security, ServerLimits limits) {
    if (security.tls()) {
      throw new IllegalArgumentException("an in-process server has no TLS; use start(...) for a TLS port");
    }
    return start(config, InProcessServerBuilder.forName(name), security, limits);
  }

  private static TroupeServer start(NodeConfig config, ServerBuilder<?> builder, ServerSecurity security,
      ServerLimits limits) {
    TroupeNode node = TroupeNode.start(config);
    HealthStatusManager health = new HealthStatusManager();
    Server server = builder.addService(guarded(new WorkflowGrpcService(node, limits), security))
        .addService(health.getHealthService()) // open on purpose: probes carry no credentials
        .addService(guarded(ProtoReflectionServiceV1.newInstance(), security))
        .maxInboundMessageSize(limits.maxMessageBytes())
        .build();
    try {
      server.start();
    } catch (IOException e) {
      node.close();
      throw new UncheckedIOException("cannot start the gRPC server: " + e.getMessage(), e);
    }
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus("troupe.v1.WorkflowService", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    return new TroupeServer(node, server, security);
  }

  private static ServerServiceDefinition guarded(BindableService service, ServerSecurity security) {
    ServerInterceptor[] auth = security.token() == null ? new ServerInterceptor[0]
        : new ServerInterceptor[] {new BearerAuthInterceptor(security.token())};
    return ServerInterceptors.intercept(service, auth);
  }

  public int port() {
    return grpc.getPort();
  }

  public TroupeNode node() {
    return node;
  }

  /** The token clients must send (null if the server requires none). */
  String token() {
    return security.token();
  }

  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  @Override
  public void close() {
    grpc.shutdown(); // no new calls
    // The node stops before the open streams end: a watch stream never ends by itself, and waiting for it would
    // let training go on after the stop was asked for. Watchers then see UNAVAILABLE and may reconnect.
    node.close();
    try {
      grpc.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    grpc.shutdownNow();
  }
}
