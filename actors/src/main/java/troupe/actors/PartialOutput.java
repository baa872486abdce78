package troupe.actors;

import com.google.protobuf.ByteString;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import troupe.v1.LoopState;

/**
 * A stage's output written aside, append-only, with a running SHA-256 of what was written: a resume point records
 * the length and digest without reading the file again, and a resumed stage cuts the file back to them.
 */
final class PartialOutput implements Closeable {
  private final FileChannel channel;
  private final OutputStream out;
  private final MessageDigest digest;
  private long bytes;

  private PartialOutput(FileChannel channel, MessageDigest digest, long bytes) {
    this.channel = channel;
    this.out = new BufferedOutputStream(Channels.newOutputStream(channel));
    this.digest = digest;
    this.bytes = bytes;
  }

  static PartialOutput fresh(Path file) throws IOException {
    return new PartialOutput(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING), ResumePoints.newSha256(), 0);
  }

  /** The file if its first {@code length} bytes have the digest; truncated to them, ready to append. */
  static PartialOutput reopen(Path file, long length, ByteString expected) throws IOException, Mismatch {
    if (!Files.exists(file)) {
      throw new Mismatch("is missing");
    }
    MessageDigest digest = ResumePoints.newSha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (long left = length; left > 0; ) {
        int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (read < 0) {
          throw new Mismatch("has " + (length - left) + " bytes, the point needs " + length);
        }
        digest.update(buffer, 0, read);
        left -= read;
      }
    }
    if (!MessageDigest.isEqual(current(digest), expected.toByteArray())) {
      throw new Mismatch("differs from the point in its first " + length + " bytes (SHA-256)");
    }
    FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
    channel.truncate(length);
    channel.position(length);
    return new PartialOutput(channel, digest, length);
  }

  void write(String line) throws IOException {
    byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
    out.write(b);
    digest.update(b);
    bytes += b.length;
  }

  /** On disk up to here (flushed and synced), and recorded in the point's loop state. */
  LoopState.Builder mark(LoopState.Builder loop) throws IOException {
    out.flush();
    channel.force(true);
    return loop.setOutputBytes(bytes).setOutputSha256(ByteString.copyFrom(current(digest)));
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** The digest so far; the running one goes on. */
  private static byte[] current(MessageDigest digest) {
    try {
      return ((MessageDigest) digest.clone()).digest();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("the runtime's SHA-256 cannot be cloned", e);
    }
  }

  /** The file is not as the point recorded it. */
  static final class Mismatch extends Exception {
    Mismatch(String what) {
      super(what);
    }
  }
}
