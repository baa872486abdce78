package troupe.trainers.data;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A subset of an indexed file's records (all of them, the training part or the held-out part of a split). Holds
 * no records and no per-record state: membership is computed from the record index.
 */
public final class DatasetView<R extends DataRecord> implements Iterable<R> {

  private final JsonlDataset<R> dataset;
  private final String name;
  private final HoldOut holdOut; // null: every record
  private final boolean heldOutSide;
  private final int size;

  DatasetView(JsonlDataset<R> dataset, String name, HoldOut holdOut, boolean heldOutSide, int size) {
    this.dataset = dataset;
    this.name = name;
    this.holdOut = holdOut;
    this.heldOutSide = heldOutSide;
    this.size = size;
  }

  /** "all", "train" or "eval". */
  public String name() {
    return name;
  }

  public JsonlDataset<R> dataset() {
    return dataset;
  }

  /** Records in the view. */
  public int size() {
    return size;
  }

  /** Whether the record with this file index belongs to the view. */
  public boolean contains(int recordIndex) {
    return holdOut == null || holdOut.contains(recordIndex) == heldOutSide;
  }

  /** One pass in file order (e.g. for evaluation), reading each record on demand. */
  @Override
  public Iterator<R> iterator() {
    return new Iterator<>() {
      private int next = advance(0);

      @Override
      public boolean hasNext() {
        return next < dataset.size();
      }

      @Override
      public R next() {
        if (!hasNext()) {
          throw new NoSuchElementException(dataset.file() + ": end of the " + name + " view");
        }
        R record = dataset.get(next);
        next = advance(next + 1);
        return record;
      }
    };
  }

  /** An endless shuffled walk over the view, epoch after epoch, from the start. */
  public EpochCursor<R> cursor(long seed) {
    return cursor(seed, CursorPosition.START);
  }

  /** An endless shuffled walk over the view, continuing from a saved position. */
  public EpochCursor<R> cursor(long seed, CursorPosition start) {
    if (size == 0) {
      throw new IllegalStateException(dataset.file() + ": the " + name + " view is empty; nothing to walk");
    }
    EpochCursor<R> cursor = new EpochCursor<>(this, seed);
    cursor.seek(start);
    return cursor;
  }

  /** The view's record indices in file order, into {@code into} (of length {@link #size()}). */
  void members(int[] into) {
    int filled = 0;
    for (int i = 0; i < dataset.size(); i++) {
      if (contains(i)) {
        into[filled++] = i;
      }
    }
    if (filled != size) {
      throw new IllegalStateException("view " + name + " expected " + size + " records, found " + filled);
    }
  }

  private int advance(int from) {
    int i = from;
    while (i < dataset.size() && !contains(i)) {
      i++;
    }
    return i;
  }

  @Override
  public String toString() {
    return dataset.file() + " " + name + " (" + size + " records)";
  }
}
