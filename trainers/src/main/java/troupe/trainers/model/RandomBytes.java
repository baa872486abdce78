package troupe.trainers.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;

/**
 * A java.util.Random's exact state as bytes, for resume points. Random is Serializable and has no other way to read
 * or set its state (setSeed scrambles the seed), so the generator is saved as Java serializes it and loaded as a new
 * generator that goes on with the same stream. Loading accepts a java.util.Random and nothing else.
 */
public final class RandomBytes {
  private RandomBytes() {}

  public static byte[] save(Random random) {
    try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(random);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("cannot save a Random", e);
    }
  }

  public static Random load(byte[] saved) {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(saved))) {
      in.setObjectInputFilter(ObjectInputFilter.Config.createFilter("java.util.Random;!*"));
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
