package troupe.trainers.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Objects;

/**
 * A JSON-lines file indexed for random access, so it can be shuffled and split without holding its records.
 *
 * <p>Opening makes one streaming pass that validates every line (the same rules and bad-line limit as
 * {@link JsonlRecords}) and keeps only the byte offset of each good record: 8 bytes per record, whatever the
 * record length. Records are then read on demand with {@link #get(int)}: a seek and a read of one line.
 * A shuffled cursor adds a 4-byte permutation entry per record of its view. Record indices count the good records
 * in file order from 0 (blank and skipped lines have no index); at most {@code Integer.MAX_VALUE - 8} records.
 *
 * <p>Reads go through a {@link RandomAccessFile} rather than a {@code FileChannel}: an interrupted thread would
 * close a channel for every later reader. {@link #get(int)} is synchronized, so sharing a dataset between
 * threads is safe but serial. The file must not change while the dataset is open; a change is detected when a
 * cursor starts an epoch or when a re-read line no longer parses.
 */
public final class JsonlDataset<R extends DataRecord> implements Closeable {

  private static final int MAX_RECORDS = Integer.MAX_VALUE - 8;

  private final Path file;
  private final RecordKind<R> kind;
  private final ReadOptions options;
  private final long[] offsets;
  private final BadLines badLines;
  private final long indexedSize;
  private final FileTime indexedModified;
  private final RandomAccessFile in;
  private final byte[][] scratch = {new byte[4096]};

  private JsonlDataset(Path file, RecordKind<R> kind, ReadOptions options, long[] offsets, BadLines badLines,
      long indexedSize, FileTime indexedModified, RandomAccessFile in) {
    this.file = file;
    this.kind = kind;
    this.options = options;
    this.offsets = offsets;
    this.badLines = badLines;
    this.indexedSize = indexedSize;
    this.indexedModified = indexedModified;
    this.in = in;
  }

  /**
   * Validates and indexes a file.
   *
   * @throws MalformedLineException   on a malformed line when no bad lines are allowed
   * @throws TooManyBadLinesException when more lines than allowed are malformed
   * @throws IllegalArgumentException when the file cannot be read or has no records
   */
  public static <R extends DataRecord> JsonlDataset<R> open(Path file, RecordKind<R> kind, ReadOptions options) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(options, "options");
    try {
      long size = Files.size(file);
      FileTime modified = Files.getLastModifiedTime(file);
      long[] offsets = new long[1024];
      int count = 0;
      BadLines badLines;
      try (JsonlRecords<R> records = JsonlRecords.open(file, kind, options)) {
        while (records.hasNext()) {
          records.next(); // parsed to validate, then dropped: only the offset is kept
          if (count == MAX_RECORDS) {
            throw new IllegalArgumentException(file + ": more than " + MAX_RECORDS + " records; split the file");
          }
          if (count == offsets.length) {
            offsets = Arrays.copyOf(offsets, (int) Math.min(2L * count, MAX_RECORDS));
          }
          offsets[count++] = records.offset();
        }
        badLines = records.badLines();
      }
      if (count == 0) {
        throw new IllegalArgumentException(file + ": no records (" + badLines.count() + " malformed lines skipped)");
      }
      return new JsonlDataset<>(file, kind, options, Arrays.copyOf(offsets, count), badLines, size, modified,
          new RandomAccessFile(file.toFile(), "r"));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
  }

  public Path file() {
    return file;
  }

  public RecordKind<R> kind() {
    return kind;
  }

  /** Good records in the file. */
  public int size() {
    return offsets.length;
  }

  /** Malformed lines skipped while indexing. */
  public BadLines badLines() {
    return badLines;
  }

  /**
   * The record with this index (file order, from 0), read from disk.
   *
   * @throws IllegalStateException if the line no longer parses (the file changed after indexing)
   */
  public synchronized R get(int index) {
    Objects.checkIndex(index, offsets.length);
    long offset = offsets[index];
    try {
      String text = LineReader.readAt(in, offset, options.maxLineBytes(), scratch, file.toString(), 0);
      return kind.parse(text, file.toString(), 0);
    } catch (MalformedLineException e) {
      throw new IllegalStateException(file + ": record " + index + " at byte " + offset + " no longer parses"
          + changeNote() + ": " + e.reason(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read record " + index + " at byte " + offset + " of " + file, e);
    }
  }

  /** Every record, as one view. */
  public DatasetView<R> all() {
    return new DatasetView<>(this, "all", null, false, size());
  }

  /**
   * Training and held-out views, with held-out records chosen from {@code seed} (see {@link HoldOut}): the same
   * file, split and seed always give the same views.
   *
   * @throws IllegalArgumentException if the split would leave no training records
   */
  public DatasetSplit<R> split(Split split, long seed) {
    int held = split.heldOut(size(), file.toString());
    HoldOut holdOut = HoldOut.choose(size(), held, seed);
    return new DatasetSplit<>(new DatasetView<>(this, "train", holdOut, false, size() - held),
        new DatasetView<>(this, "eval", holdOut, true, held));
  }

  /** Throws if the file's size or modification time differ from when it was indexed. */
  void checkUnchanged() {
    String note = changeNote();
    if (!note.isEmpty()) {
      throw new IllegalStateException(file + ": cannot read records by their indexed offsets" + note);
    }
  }

  private String changeNote() {
    try {
      long size = Files.size(file);
      FileTime modified = Files.getLastModifiedTime(file);
      if (size != indexedSize || !modified.equals(indexedModified)) {
        return " (the file changed after it was indexed: " + indexedSize + " bytes then, " + size + " now)";
      }
      return "";
    } catch (IOException e) {
      return " (the file cannot be read any more: " + e + ")";
    }
  }

  @Override
  public synchronized void close() {
    try {
      in.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file, e);
    }
  }

  @Override
  public String toString() {
    return file + " (" + kind + ", " + size() + " records)";
  }
}
