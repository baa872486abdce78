package troupe.server;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Executor;

/**
 * The shared secret of the gRPC API as a client sends it: metadata {@code authorization: Bearer <token>} on every
 * call. A token is printable ASCII without spaces, because it travels in an HTTP/2 header.
 */
final class BearerToken extends CallCredentials {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final String SCHEME = "Bearer ";

  private final String token;

  BearerToken(String token) {
    this.token = check(token, "the token");
  }

  /** 32 random bytes, base64url without padding: 43 characters. */
  static String random() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Returns the token if it can travel in a header; otherwise says what is wrong without echoing it. */
  static String check(String token, String what) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c > '~') {
        throw new IllegalArgumentException(what + " must be printable ASCII without spaces; character "
            + (i + 1) + " of " + token.length() + " is not");
      }
    }
    return token;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, SCHEME + token);
    applier.apply(headers);
  }

  @Override
  public String toString() {
    return "BearerToken[hidden]"; // never print the secret
  }
}
