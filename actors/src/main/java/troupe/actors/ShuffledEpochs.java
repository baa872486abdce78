package troupe.actors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import troupe.v1.DataCursor;
import troupe.v1.LoopState;

/**
 * Indices of an in-memory set in shuffled epochs (SFT's labelled set): each epoch is a fresh java.util.Random
 * shuffle of 0..size-1. Its state for a resume point is the Random, the current epoch's order and the cursor in it.
 */
final class ShuffledEpochs {
  private final int size;
  private Random random;
  private final List<Integer> order = new ArrayList<>();
  private int cursor;

  ShuffledEpochs(int size, long seed) {
    this.size = size;
    this.random = new Random(seed);
  }

  int next() {
    if (cursor == order.size()) { // a new epoch: reshuffle
      order.clear();
      for (int k = 0; k < size; k++) {
        order.add(k);
      }
      Collections.shuffle(order, random);
      cursor = 0;
    }
    return order.get(cursor++);
  }

  void saveTo(LoopState.Builder state) {
    state.setRandomState(RandomState.save(random))
        .setData(DataCursor.newBuilder().addAllOrder(order).setIndex(cursor));
  }

  void restore(LoopState state) {
    random = RandomState.load(state.getRandomState());
    order.clear();
    order.addAll(state.getData().getOrderList());
    cursor = state.getData().getIndex();
  }
}
