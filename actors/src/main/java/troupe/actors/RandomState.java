package troupe.actors;

import com.google.protobuf.ByteString;
import java.util.Random;
import troupe.trainers.model.RandomBytes;

/** A stage loop's java.util.Random in a resume point's loop state (LoopState.random_state); see {@link RandomBytes}. */
final class RandomState {
  private RandomState() {}

  static ByteString save(Random random) {
    return ByteString.copyFrom(RandomBytes.save(random));
  }

  static Random load(ByteString saved) {
    return RandomBytes.load(saved.toByteArray());
  }
}
