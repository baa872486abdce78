package troupe.trainers.data;

/**
 * A line of a data file that is not a valid record. The message is {@code FILE:LINE: reason}, e.g.
 * {@code prefs.jsonl:7: field "chosen" is missing (a preference record needs prompt, chosen, rejected)}.
 */
public final class MalformedLineException extends IllegalArgumentException {

  private final String file;
  private final long line;
  private final String reason;

  public MalformedLineException(String file, long line, String reason) {
    super(file + ":" + line + ": " + reason);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }

  /** The file as it was given to the reader. */
  public String file() {
    return file;
  }

  /** The 1-based line number. */
  public long line() {
    return line;
  }

  /** What is wrong, without the file and line. */
  public String reason() {
    return reason;
  }
}
