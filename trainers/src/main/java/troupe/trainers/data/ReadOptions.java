package troupe.trainers.data;

/**
 * How tolerant a reader is.
 *
 * @param maxBadLines  malformed lines skipped (and counted) before reading fails; 0 fails on the first one
 * @param keptReasons  how many of the first malformed lines' messages are kept for the report
 * @param maxLineBytes a longer line is malformed: a guard against reading a huge line (or a binary file) into
 *                     memory
 */
public record ReadOptions(int maxBadLines, int keptReasons, int maxLineBytes) {

  public static final int DEFAULT_KEPT_REASONS = 5;
  public static final int DEFAULT_MAX_LINE_BYTES = 64 << 20;

  public ReadOptions {
    if (maxBadLines < 0) {
      throw new IllegalArgumentException("maxBadLines must be >= 0, got " + maxBadLines);
    }
    if (keptReasons < 0) {
      throw new IllegalArgumentException("keptReasons must be >= 0, got " + keptReasons);
    }
    if (maxLineBytes < 1 || maxLineBytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("maxLineBytes must be in [1, 2^31 - 17], got " + maxLineBytes);
    }
  }

  /** Fails on the first malformed line. */
  public static ReadOptions strict() {
    return new ReadOptions(0, DEFAULT_KEPT_REASONS, DEFAULT_MAX_LINE_BYTES);
  }

  /** Skips up to {@code maxBadLines} malformed lines. */
  public static ReadOptions skippingUpTo(int maxBadLines) {
    return new ReadOptions(maxBadLines, DEFAULT_KEPT_REASONS, DEFAULT_MAX_LINE_BYTES);
  }

  public ReadOptions withMaxLineBytes(int bytes) {
    return new ReadOptions(maxBadLines, keptReasons, bytes);
  }
}
