package troupe.server;

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
}
