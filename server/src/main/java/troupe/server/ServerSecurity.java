package troupe.server;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * How the gRPC API is protected: the bearer token every call must carry (null: no authentication, only for
 * in-process tests) and the PEM certificate chain and private key it serves TLS with (null: plaintext).
 */
public record ServerSecurity(String token, Path tlsCert, Path tlsKey) {
  /** No token, no TLS: for tests that talk to an in-process or loopback server they started themselves. */
  public static final ServerSecurity NONE = new ServerSecurity(null, null, null);

  public ServerSecurity {
    if (token != null) {
      BearerToken.check(token, "the server's token");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("TLS needs both a certificate and its private key (--tls-cert and "
          + "--tls-key), got only the " + (tlsCert == null ? "key" : "certificate"));
    }
  }

  public static ServerSecurity token(String token) {
    return new ServerSecurity(token, null, null);
  }

  public ServerSecurity withTls(Path cert, Path key) {
    return new ServerSecurity(token, cert, key);
  }

  public boolean tls() {
    return tlsCert != null;
  }

  /** TLS with the certificate and key, or plaintext. */
  public ServerCredentials credentials() {
    if (!tls()) {
      return InsecureServerCredentials.create();
    }
    try {
      return TlsServerCredentials.create(tlsCert.toFile(), tlsKey.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the TLS certificate " + tlsCert + " or key " + tlsKey + ": "
          + e.getMessage(), e);
    }
  }
}
