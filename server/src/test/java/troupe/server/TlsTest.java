package troupe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;

/** TLS on a real loopback port with real certificates: the right one is trusted, any other is refused. */
class TlsTest {
  static final String TOKEN = BearerToken.random();

  @AfterEach
  void realEnvironment() {
    TroupeCli.environment = System::getenv;
  }

  static boolean causedBySslHandshake(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLHandshakeException) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aClientTrustingTheServersCertificateConnectsAndAnyOtherFails(@TempDir Path dir) throws Exception {
    Path cert = dir.resolve("auth/server.crt");
    Path key = dir.resolve("auth/server.key");
    SelfSignedCertificate.write(cert, key, "127.0.0.1");
    Path otherCert = dir.resolve("other/server.crt");
    SelfSignedCertificate.write(otherCert, dir.resolve("other/server.key"), "127.0.0.1");

    try (TroupeServer server = TroupeServer.start(NodeConfig.embedded(dir.resolve("data")), "127.0.0.1", 0,
        ServerSecurity.token(TOKEN).withTls(cert, key), ServerLimits.DEFAULTS)) {
      for (String host : new String[] {"127.0.0.1", "localhost"}) {
        try (TroupeClient client = new TroupeClient(host + ":" + server.port(),
            ClientSecurity.token(TOKEN).withTls(cert))) {
          assertEquals(0, client.list().getWorkflowsCount(), host);
        }
      }

      try (TroupeClient client = new TroupeClient("127.0.0.1:" + server.port(),
          ClientSecurity.token(TOKEN).withTls(otherCert))) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, client::list);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(causedBySslHandshake(e), "cause: " + e.getStatus().getCause());
      }
      try (TroupeClient client = new TroupeClient("127.0.0.1:" + server.port(),
          ClientSecurity.token(TOKEN).withTls(null))) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, client::list);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "not signed by a system CA");
        assertTrue(causedBySslHandshake(e), "cause: " + e.getStatus().getCause());
      }
      try (TroupeClient plaintext = new TroupeClient("127.0.0.1:" + server.port(), ClientSecurity.token(TOKEN))) {
        assertEquals(Status.Code.UNAVAILABLE, assertThrows(StatusRuntimeException.class, plaintext::list).getStatus()
            .getCode(), "a plaintext client cannot talk to a TLS port");
      }

      ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + server.port(),
          TlsChannelCredentials.newBuilder().trustManager(cert.toFile()).build()).build();
      try {
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus(), "health: TLS, but no token");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void theSelfSignedCertificateNamesTheHostsAndIsKeptWhileItFits(@TempDir Path dir) throws Exception {
    Path cert = dir.resolve("auth/server.crt");
    Path key = dir.resolve("auth/server.key");
    assertEquals("created", SelfSignedCertificate.ensure(cert, key, "troupe.example"));
    X509Certificate c = SelfSignedCertificate.read(cert);
    assertEquals(Set.of("localhost", "127.0.0.1", "0:0:0:0:0:0:0:1", "troupe.example"),
        SelfSignedCertificate.names(c));
    assertEquals("EC", c.getPublicKey().getAlgorithm());
    Duration validity = Duration.between(Instant.now(), c.getNotAfter().toInstant());
    assertTrue(validity.toDays() >= 364 && validity.toDays() <= 365, validity.toString());
    assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----\n"));
    if (OwnerOnlyFiles.posix(dir)) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    }

    byte[] before = Files.readAllBytes(cert);
    assertNull(SelfSignedCertificate.ensure(cert, key, "troupe.example"), "a later start reuses it");
    assertNull(SelfSignedCertificate.ensure(cert, key, "127.0.0.1"));
    assertArrayEquals(before, Files.readAllBytes(cert));
    String replaced = SelfSignedCertificate.ensure(cert, key, "10.1.2.3");
    assertTrue(replaced.contains("does not name host 10.1.2.3"), replaced);
    assertTrue(SelfSignedCertificate.names(SelfSignedCertificate.read(cert)).contains("10.1.2.3"));
  }

  /** `troupe server --tls` started as the command line does, then `troupe submit --token --tls` against it. */
  @Test
  void cliSubmitWithATokenToATlsServer(@TempDir Path dir) throws Exception {
    AuthTest.environment(Map.of());
    Path data = dir.resolve("data");
    try (TroupeServer server = AuthTest.serverCommand(data, "--tls")) {
      String target = "127.0.0.1:" + server.port();
      String token = TokenFile.read(TokenFile.in(data));
      Path ca = data.resolve("auth/server.crt");
      Path spec = Files.writeString(dir.resolve("tiny.yaml"), GrpcApiTest.TINY + "stages:\n  - sft: {steps: 2}\n");

      CliTest.Output out = CliTest.capture(() -> TroupeCli.run("submit", "--server", target, "--token", token, "--tls",
          "--tls-ca", ca.toString(), spec.toString()));
      assertEquals(0, out.code(), out.err());
      String id = out.out().strip();
      out = CliTest.capture(() -> TroupeCli.run("watch", "--server", target, "--token", token, "--tls-ca",
          ca.toString(), id));
      assertEquals(0, out.code(), out.err());
      assertTrue(out.out().contains("workflow completed"), out.out());

      Path other = dir.resolve("other.crt");
      SelfSignedCertificate.write(other, dir.resolve("other.key"), "127.0.0.1");
      out = CliTest.capture(() -> TroupeCli.run("list", "--server", target, "--token", token, "--tls-ca",
          other.toString()));
      assertEquals(2, out.code());
      assertTrue(out.err().contains("UNAVAILABLE") && out.err().contains("SSLHandshakeException"), out.err());
      out = CliTest.capture(() -> TroupeCli.run("list", "--server", target, "--token", token));
      assertEquals(2, out.code(), "plaintext to a TLS port");
      assertTrue(out.err().contains("UNAVAILABLE"), out.err());
    }
  }
}
