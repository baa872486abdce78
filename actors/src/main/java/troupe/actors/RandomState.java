package troupe.actors;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;

/**
 * A java.util.Random's exact state for resume points. Random is Serializable and has no other way to read or set
 * its state (setSeed scrambles the seed), so the generator is saved as Java serializes it and loaded as a new
 * generator that goes on with the same stream.
 */
final class RandomState {
  private RandomState() {}

  static ByteString save(Random random) {
    try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(random);
      out.flush();
      return ByteString.copyFrom(bytes.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("cannot save a Random", e);
    }
  }

  static Random load(ByteString saved) {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(saved.toByteArray()))) {
      in.setObjectInputFilter(java.io.ObjectInputFilter.Config.createFilter("java.util.Random;!*"));
      Object read = in.readObject();
      if (read.getClass() != Random.class) {
        throw new IOException("expected a java.util.Random, found a " + read.getClass().getName());
      }
      return (Random) read;
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot load the random state of a resume point: " + e.getMessage(), e);
    }
  }
}
