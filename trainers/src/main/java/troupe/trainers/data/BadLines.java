package troupe.trainers.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The malformed lines a reader skipped: how many, and the messages of the first few for a report. Adding one
 * past the allowed maximum throws, so a mostly broken file (a wrong kind, a wrong format) fails instead of
 * quietly training on what is left.
 */
public final class BadLines {

  private final String file;
  private final ReadOptions options;
  private final List<String> firstReasons = new ArrayList<>();
  private long count;

  BadLines(String file, ReadOptions options) {
    this.file = file;
    this.options = options;
  }

  /** Lines skipped so far. */
  public long count() {
    return count;
  }

  /** The full messages ({@code FILE:LINE: reason}) of the first {@link ReadOptions#keptReasons()} bad lines. */
  public List<String> firstReasons() {
    return List.copyOf(firstReasons);
  }

  /** One line for a log or a report, e.g. {@code data.jsonl: 2 malformed lines skipped; first: ...}. */
  public String summary() {
    if (count == 0) {
      return file + ": no malformed lines";
    }
    return file + ": " + count + " malformed line" + (count == 1 ? "" : "s") + " skipped; first: "
        + String.join("; ", firstReasons);
  }

  /**
   * Counts a bad line, or throws when it is one too many: the exception itself with a limit of 0 (the plain
   * {@code FILE:LINE: reason}), else a {@link TooManyBadLinesException} with the count and the first reasons.
   */
  void add(MalformedLineException bad) {
    if (options.maxBadLines() == 0) {
      throw bad;
    }
    count++;
    if (firstReasons.size() < options.keptReasons()) {
      firstReasons.add(bad.getMessage());
    }
    if (count > options.maxBadLines()) {
      throw new TooManyBadLinesException(file, count, options.maxBadLines(), firstReasons(), bad);
    }
  }

  @Override
  public String toString() {
    return summary();
  }
}
