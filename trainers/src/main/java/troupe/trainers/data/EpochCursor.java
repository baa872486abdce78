package troupe.trainers.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Walks a view in a shuffled order, epoch after epoch. Each epoch visits every record of the view exactly once,
 * in a permutation fixed by {@code (seed, epoch)}: the same seed gives the same sequence in every run, and a
 * cursor moved to a saved {@link CursorPosition} continues it exactly. The permutation is an {@code int[]} of
 * record indices (4 bytes per record); records themselves are read from disk one at a time. Not thread-safe.
 */
public final class EpochCursor<R extends DataRecord> {

  private static final long PURPOSE = 0x73687566666C65L; // "shuffle"

  private final DatasetView<R> view;
  private final long seed;
  private final int[] order;
  private int builtEpoch = -1;
  private int epoch;
  private int index;
  private int lastRecordIndex = -1;

  EpochCursor(DatasetView<R> view, long seed) {
    this.view = view;
    this.seed = seed;
    this.order = new int[view.size()];
  }

  /** The next record; at the end of an epoch the next epoch starts with a fresh permutation. */
  public R next() {
    if (builtEpoch != epoch) {
      shuffle(epoch);
    }
    lastRecordIndex = order[index];
    R record = view.dataset().get(lastRecordIndex);
    index++;
    if (index == order.length) {
      epoch++;
      index = 0;
    }
    return record;
  }

  /** The next {@code count} records (crossing into the next epoch if needed). */
  public List<R> next(int count) {
    List<R> batch = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      batch.add(next());
    }
    return batch;
  }

  /** The position of the record {@link #next()} returns next; after an epoch's last record, (epoch + 1, 0). */
  public CursorPosition position() {
    return new CursorPosition(epoch, index);
  }

  /** Continues from a saved position (made with the same file, view and seed). */
  public void seek(CursorPosition position) {
    if (position.index() >= order.length) {
      throw new IllegalArgumentException("cursor index " + position.index() + " is outside the " + view.name()
          + " view of " + order.length + " records (was the position saved for another file or split?)");
    }
    epoch = position.epoch();
    index = position.index();
  }

  /** The current epoch (0-based). */
  public int epoch() {
    return epoch;
  }

  /** Records per epoch. */
  public int epochSize() {
    return order.length;
  }

  /** The file index of the record last returned, -1 before the first. */
  public int lastRecordIndex() {
    return lastRecordIndex;
  }

  public long seed() {
    return seed;
  }

  /** Fisher-Yates over the view's indices in file order, so the permutation depends only on (seed, epoch). */
  private void shuffle(int epochToBuild) {
    view.dataset().checkUnchanged();
    view.members(order);
    SplitMix64 random = new SplitMix64(SplitMix64.derive(seed, PURPOSE, epochToBuild));
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    builtEpoch = epochToBuild;
  }
}
