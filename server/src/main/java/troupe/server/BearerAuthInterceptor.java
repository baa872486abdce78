package troupe.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Lets a call through only if it carries {@code authorization: Bearer <the server's token>}; otherwise closes it
 * with UNAUTHENTICATED before the service sees it. Installed on every service except health checking.
 */
final class BearerAuthInterceptor implements ServerInterceptor {
  static final String MISSING = "missing bearer token; pass --token or set TROUPE_TOKEN (the server prints where "
      + "its token file is; clients read troupe-data/auth/token by default, or --token-file FILE)";
  static final String WRONG = "wrong bearer token";

  private final byte[] expected;

  BearerAuthInterceptor(String token) {
    this.expected = BearerToken.check(token, "the server's token").getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String header = headers.get(BearerToken.AUTHORIZATION);
    if (header == null || header.isBlank()) {
      return reject(call, MISSING);
    }
    if (!header.regionMatches(true, 0, BearerToken.SCHEME, 0, BearerToken.SCHEME.length())) {
      return reject(call, "the authorization header must be \"Bearer <token>\"");
    }
    byte[] given = header.substring(BearerToken.SCHEME.length()).strip().getBytes(StandardCharsets.US_ASCII);
    // Constant time in the given token's content, so timing does not reveal how much of a guess was right.
    if (!MessageDigest.isEqual(expected, given)) {
      return reject(call, WRONG);
    }
    return next.startCall(call, headers);
  }

  private static <Q, R> ServerCall.Listener<Q> reject(ServerCall<Q, R> call, String description) {
    call.close(Status.UNAUTHENTICATED.withDescription(description), new Metadata());
    return new ServerCall.Listener<>() { };
  }
}
