package troupe.server;

/**
 * What one client may ask of the gRPC API at once, so that no request (or pile of requests) can exhaust the
 * server: the largest inbound message, the largest workflow spec, how many workflows run at the same time and how
 * many watch streams are open. Each limit has a `troupe server` flag of the same name, which its error names.
 */
public record ServerLimits(int maxMessageBytes, int maxSpecBytes, int maxWorkflows, int maxWatchers) {
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
  public static final int DEFAULT_MAX_SPEC_BYTES = 256 * 1024;
  public static final int DEFAULT_MAX_WORKFLOWS = 8;
  public static final int DEFAULT_MAX_WATCHERS = 256;

  public static final ServerLimits DEFAULTS = new ServerLimits(DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_SPEC_BYTES,
      DEFAULT_MAX_WORKFLOWS, DEFAULT_MAX_WATCHERS);

  public ServerLimits {
    atLeast("--max-message-bytes", maxMessageBytes, 1024);
    atLeast("--max-spec-bytes", maxSpecBytes, 1);
    atLeast("--max-workflows", maxWorkflows, 1);
    atLeast("--max-watchers", maxWatchers, 1);
    if (maxSpecBytes > maxMessageBytes) {
      throw new IllegalArgumentException("--max-spec-bytes (" + maxSpecBytes + ") must not exceed "
          + "--max-message-bytes (" + maxMessageBytes + "): a spec travels in one message");
    }
  }

  public ServerLimits withMaxSpecBytes(int n) {
    return new ServerLimits(maxMessageBytes, n, maxWorkflows, maxWatchers);
  }

  public ServerLimits withMaxWorkflows(int n) {
    return new ServerLimits(maxMessageBytes, maxSpecBytes, n, maxWatchers);
  }

  public ServerLimits withMaxWatchers(int n) {
    return new ServerLimits(maxMessageBytes, maxSpecBytes, maxWorkflows, n);
  }

  private static void atLeast(String flag, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(flag + " must be >= " + min + ", got " + value);
    }
  }
}
