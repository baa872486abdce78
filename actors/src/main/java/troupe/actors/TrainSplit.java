package troupe.actors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Record indices of a data file split into training and held-out ones by a seeded hash of each record (so a record's
 * side does not depend on the rest of the file), with the training indices served in batches, reshuffled each epoch.
 */
final class TrainSplit {
  private final long seed;
  private final float evalFraction;
  private final List<Integer> train = new ArrayList<>();
  private final List<Integer> heldOut = new ArrayList<>();
  private final Random shuffle;
  private int cursor;

  TrainSplit(long seed, float evalFraction) {
    this.seed = seed;
    this.evalFraction = evalFraction;
    this.shuffle = new Random(seed);
  }

  /** Puts record {@code index} on its side, decided by the hash of its text. */
  void add(int index, String record) {
    boolean held = Math.floorMod(new Random(seed ^ record.hashCode()).nextInt(), 10_000) < evalFraction * 10_000;
    (held ? heldOut : train).add(index);
  }

  int trainSize() {
    return train.size();
  }

  /** The next training indices in this epoch's order; a new epoch reshuffles. */
  List<Integer> nextTrainBatch(int size) {
    List<Integer> out = new ArrayList<>(size);
    while (out.size() < size) {
      if (cursor == 0 || cursor == train.size()) {
        Collections.shuffle(train, shuffle);
        cursor = 0;
      }
      out.add(train.get(cursor++));
    }
    return out;
  }

  List<Integer> heldOut() {
    return heldOut;
  }
}
