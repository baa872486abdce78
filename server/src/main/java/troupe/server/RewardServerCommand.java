package troupe.server;

import io.grpc.Server;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `troupe reward-server`: runs the example RewardService until stopped, for a workflow's reward {kind: remote}. */
@Command(name = "reward-server", description = "Serve an example reward (troupe.v1.RewardService) for "
    + "reward: {kind: remote, target: HOST:PORT}; an example to copy, not a production scorer.")
final class RewardServerCommand implements Callable<Integer> {
  @Option(names = "--host", description = "address to listen on (default ${DEFAULT-VALUE})")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "port, 0 = any free port (default ${DEFAULT-VALUE})")
  int port = 50070;

  @Option(names = "--kind", description = "exact_match (1 if the completion equals the reference, else 0) or length "
      + "(a toy shaping reward: minus the length difference to the reference); default ${DEFAULT-VALUE}")
  String kind = "exact_match";

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "serve TLS with this certificate chain (with "
      + "--tls-key); workflows then set reward.tls, and reward.ca_certificate for a self-signed one")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "the certificate's PKCS#8 private key")
  Path tlsKey;

  @Override
  public Integer call() throws Exception {
    ServerSecurity security = new ServerSecurity(null, tlsCert, tlsKey); // checks that both or neither are given
    Server server = ExampleRewardService.start(kind, host, port, security.credentials());
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    // The port line is what scripts wait for; with --port 0 it is the only way to learn the port.
    System.out.println("reward server (" + kind + (security.tls() ? ", TLS" : "") + ") listening on " + host + ":"
        + server.getPort());
    System.out.flush();
    server.awaitTermination();
    return 0;
  }
}
