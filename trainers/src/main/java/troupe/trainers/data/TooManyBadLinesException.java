package troupe.trainers.data;

import java.util.List;

/** More malformed lines than {@link ReadOptions#maxBadLines()} allows; the cause is the last one found. */
public final class TooManyBadLinesException extends IllegalArgumentException {

  private final long count;
  private final List<String> firstReasons;

  TooManyBadLinesException(String file, long count, int allowed, List<String> firstReasons,
      MalformedLineException last) {
    super(file + ": " + count + " malformed lines, more than the " + allowed + " allowed; first: "
        + String.join("; ", firstReasons), last);
    this.count = count;
    this.firstReasons = List.copyOf(firstReasons);
  }

  /** Malformed lines found when reading stopped (the allowed maximum plus one). */
  public long count() {
    return count;
  }

  public List<String> firstReasons() {
    return firstReasons;
  }
}
