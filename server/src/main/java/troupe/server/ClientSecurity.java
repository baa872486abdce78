package troupe.server;

import java.nio.file.Path;

/**
 * How a client reaches the API: the bearer token it sends (null: none) and whether it speaks TLS, trusting the
 * certificate in {@code trustedCert} (the server's self-signed certificate or a CA's), or the system's CAs if null.
 */
record ClientSecurity(String token, boolean tls, Path trustedCert) {
  static final ClientSecurity NONE = new ClientSecurity(null, false, null);

  ClientSecurity {
    if (token != null) {
      BearerToken.check(token, "the token");
    }
    if (trustedCert != null && !tls) {
      throw new IllegalArgumentException("a trusted certificate only applies with TLS");
    }
  }

  static ClientSecurity token(String token) {
    return new ClientSecurity(token, false, null);
  }

  ClientSecurity withTls(Path trustedCert) {
    return new ClientSecurity(token, true, trustedCert);
  }
}
