package troupe.trainers.spec;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;

/**
 * How reward workers call a remote reward ({@code reward: {kind: remote}}): the target's syntax and the retry
 * schedule, in one place so the validator can check that the worst case fits in runtime.ask_timeout_seconds.
 */
public final class RemoteRewardCalls {
  /** The pause before the second and the third attempt: a restarting service gets a moment. */
  public static final long[] BACKOFF_MILLIS = {500, 1000};
  /** A call is tried this many times in all when the service is unavailable or misses its deadline. */
  public static final int ATTEMPTS = BACKOFF_MILLIS.length + 1;

  private RemoteRewardCalls() {}

  /** The total backoff, rounded up to whole seconds. */
  public static long backoffSeconds() {
    long total = 0;
    for (long ms : BACKOFF_MILLIS) {
      total += ms;
    }
    return (total + 999) / 1000;
  }

  /** Why {@code pem} is not one or more PEM X.509 certificates, or null when it is (or is empty: none given). */
  public static String certificateProblem(String pem) {
    if (pem.isEmpty()) {
      return null;
    }
    String allowed = "must be the PEM text of the CA certificate to trust (-----BEGIN CERTIFICATE----- ... "
        + "-----END CERTIFICATE-----)";
    if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
      return allowed + ", got no BEGIN CERTIFICATE line";
    }
    try {
      boolean none = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty();
      return none ? allowed + ", got no certificate" : null;
    } catch (CertificateException | RuntimeException e) {
      return allowed + "; it does not parse: " + e.getMessage();
    }
  }

  /** HOST:PORT, with an IPv6 host in brackets, and a port in [1, 65535]. */
  public static boolean validTarget(String target) {
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      return false;
    }
    String host = target.substring(0, colon);
    String port = target.substring(colon + 1);
    if (!port.chars().allMatch(Character::isDigit) || port.length() > 5) {
      return false;
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      return false;
    }
    if (host.startsWith("[")) {
      return host.endsWith("]") && host.length() > 2;
    }
    return host.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '-');
  }
}
