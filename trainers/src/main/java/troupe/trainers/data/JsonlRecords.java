package troupe.trainers.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Streams the records of a JSON-lines file in file order, one line in memory at a time. Blank lines are skipped;
 * malformed lines are skipped and counted up to {@link ReadOptions#maxBadLines()}, and one more fails (see
 * {@link BadLines#add}). Not thread-safe.
 *
 * <pre>{@code
 * try (JsonlRecords<SftRecord> records = JsonlRecords.open(file, RecordKind.SFT, ReadOptions.skippingUpTo(10))) {
 *   while (records.hasNext()) { use(records.next()); }
 *   log(records.badLines().summary());
 * }
 * }</pre>
 */
public final class JsonlRecords<R extends DataRecord> implements Iterator<R>, Closeable {

  private final LineReader lines;
  private final RecordKind<R> kind;
  private final String file;
  private final BadLines badLines;
  private R pending;
  private long pendingLine;
  private long pendingOffset;
  private long lineNumber;
  private long offset = -1;
  private long count;
  private boolean done;

  private JsonlRecords(LineReader lines, RecordKind<R> kind, String file, ReadOptions options) {
    this.lines = lines;
    this.kind = kind;
    this.file = file;
    this.badLines = new BadLines(file, options);
  }

  /**
   * Opens a file for streaming.
   *
   * @throws IllegalArgumentException if the file cannot be opened (a configuration error, reported like bad data)
   */
  public static <R extends DataRecord> JsonlRecords<R> open(Path file, RecordKind<R> kind, ReadOptions options) {
    try {
      return new JsonlRecords<>(LineReader.open(file, options.maxLineBytes()), kind, file.toString(), options);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
  }

  /** Every record of a small file (an eval set), in file order. Large files should be streamed or indexed. */
  public static <R extends DataRecord> List<R> readAll(Path file, RecordKind<R> kind, ReadOptions options) {
    List<R> all = new ArrayList<>();
    try (JsonlRecords<R> records = open(file, kind, options)) {
      records.forEachRemaining(all::add);
    }
    return all;
  }

  /**
   * @throws MalformedLineException    on a malformed line when no bad lines are allowed
   * @throws TooManyBadLinesException  when one more than the allowed bad lines is found
   * @throws UncheckedIOException      when reading fails
   */
  @Override
  public boolean hasNext() {
    if (pending != null) {
      return true;
    }
    if (done) {
      return false;
    }
    try {
      while (lines.next()) {
        if (lines.isBlank()) {
          continue;
        }
        try {
          pending = kind.parse(lines.text(), file, lines.lineNumber());
          pendingLine = lines.lineNumber();
          pendingOffset = lines.offset();
          return true;
        } catch (MalformedLineException bad) {
          badLines.add(bad);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " after line " + lines.lineNumber(), e);
    }
    done = true;
    return false;
  }

  @Override
  public R next() {
    if (!hasNext()) {
      throw new NoSuchElementException(file + ": no more records after " + count);
    }
    R record = pending;
    pending = null;
    lineNumber = pendingLine;
    offset = pendingOffset;
    count++;
    return record;
  }

  /** The 1-based line of the record last returned by {@link #next()}, 0 before the first. */
  public long lineNumber() {
    return lineNumber;
  }

  /** The byte offset of the record last returned by {@link #next()}, -1 before the first. */
  public long offset() {
    return offset;
  }

  /** Records returned so far. */
  public long count() {
    return count;
  }

  /** Malformed lines skipped so far. */
  public BadLines badLines() {
    return badLines;
  }

  @Override
  public void close() {
    try {
      lines.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file, e);
    }
  }
}
