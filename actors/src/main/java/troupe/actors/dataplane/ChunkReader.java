package troupe.actors.dataplane;

import io.grpc.MethodDescriptor;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.BitSet;
import java.util.zip.CRC32C;
import troupe.v1.BlobRef;

/**
 * Puts one blob together from {@link troupe.v1.Chunk} messages, as the response marshaller of the client's Fetch
 * calls: it reads each chunk's data straight from the transport into its place in the blob. Parsing a Chunk as a
 * protobuf message first would copy every byte twice more (into a parse buffer, then into the message), which
 * costs more CPU than the rest of the client together.
 *
 * <p>The data is placed using the index and offset read before it: protobuf encoders write fields in field-number
 * order and leave out zero values (so chunk 0 carries neither). A chunk that names its index or offset after its
 * data counts as bad. Each chunk is checked against its CRC32C in place; a damaged one is overwritten when it is
 * received again. The SHA-256 of the intact prefix of the blob is computed while later chunks are on the way.
 */
final class ChunkReader implements MethodDescriptor.Marshaller<ChunkReader.Received> {
  /** One chunk as read: {@code problem} says what is wrong with it, null if it is intact. */
  record Received(int index, boolean askedFor, String problem) {}

  private static final int INDEX = 1 << 3;          // field 1, varint
  private static final int OFFSET = 2 << 3;         // field 2, varint
  private static final int DATA = 3 << 3 | 2;       // field 3, length-delimited
  private static final int CRC32C = 4 << 3 | 5;     // field 4, fixed32

  private final BlobRef ref;
  private final byte[] blob;
  private final BitSet bad = new BitSet(); // not yet received intact
  private final MessageDigest sha256 = BlobStore.sha256();
  private int hashed; // chunks in sha256 so far

  ChunkReader(BlobRef ref) {
    this.ref = ref;
    blob = new byte[(int) ref.getTotalBytes()];
    bad.set(0, ref.getChunks());
  }

  byte[] blob() {
    return blob;
  }

  /** The chunks not yet received intact, in order. */
  BitSet bad() {
    return bad;
  }

  /** The SHA-256 of the blob; only once every chunk is intact. */
  byte[] sha256() {
    return sha256.digest();
  }

  @Override
  public Received parse(InputStream in) {
    try {
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException("malformed chunk of \"" + ref.getKey() + "\": " + e.getMessage(), e);
    }
  }

  @Override
  public InputStream stream(Received value) {
    throw new UnsupportedOperationException("the client only reads chunks");
  }

  private Received read(InputStream in) throws IOException {
    int index = 0;
    long offset = 0;
    int crc = 0;
    boolean placed = false;
    boolean dataSeen = false;
    String problem = null;
    for (int tag = (int) readVarint(in, true); tag != 0; tag = (int) readVarint(in, true)) {
      switch (tag) {
        case INDEX, OFFSET -> {
          long value = readVarint(in, false);
          if (dataSeen) {
            problem = "index or offset after the data";
          } else if (tag == INDEX) {
            index = (int) value;
          } else {
            offset = value;
          }
        }
        case DATA -> {
          int length = (int) readVarint(in, false);
          dataSeen = true;
          if (index < 0 || index >= ref.getChunks() || !bad.get(index)) {
            in.skipNBytes(length);
            return new Received(index, false, null); // not asked for: nothing to check it against
          }
          if (offset != offset(index)) {
            problem = "offset " + offset + ", expected " + offset(index);
            in.skipNBytes(length);
          } else if (length != length(index)) {
            problem = length + " bytes, expected " + length(index);
            in.skipNBytes(length);
          } else if (in.readNBytes(blob, offset(index), length) != length) {
            throw new EOFException("the data ends early");
          } else {
            placed = true;
          }
        }
        case CRC32C -> crc = readFixed32(in);
        default -> skipField(in, tag);
      }
    }
    if (problem != null) {
      return new Received(index, true, problem);
    }
    if (!placed) {
      return new Received(index, true, "no data");
    }
    CRC32C computed = new CRC32C();
    computed.update(blob, offset(index), length(index));
    if ((int) computed.getValue() != crc) {
      return new Received(index, true, "crc32c mismatch");
    }
    bad.clear(index);
    for (; hashed < ref.getChunks() && !bad.get(hashed); hashed++) {
      sha256.update(blob, offset(hashed), length(hashed));
    }
    return new Received(index, true, null);
  }

  private int offset(int index) {
    return index * ref.getChunkBytes(); // below the blob's length, so it fits an int
  }

  private int length(int index) {
    return Math.min(ref.getChunkBytes(), blob.length - offset(index));
  }

  /** A base-128 varint; at the end of the message returns 0 if {@code endAllowed} (no field has tag 0). */
  private static long readVarint(InputStream in, boolean endAllowed) throws IOException {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.read();
      if (b < 0) {
        if (shift == 0 && endAllowed) {
          return 0;
        }
        throw new EOFException("the message ends inside a varint");
      }
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new IOException("a varint longer than 10 bytes");
  }

  private static int readFixed32(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes(4);
    if (bytes.length < 4) {
      throw new EOFException("the message ends inside a fixed32");
    }
    return (bytes[0] & 0xff) | (bytes[1] & 0xff) << 8 | (bytes[2] & 0xff) << 16 | (bytes[3] & 0xff) << 24;
  }

  /** Skips a field this reader does not know, so a newer server may add fields. */
  private static void skipField(InputStream in, int tag) throws IOException {
    switch (tag & 7) {
      case 0 -> readVarint(in, false);
      case 1 -> in.skipNBytes(8);
      case 2 -> in.skipNBytes(readVarint(in, false));
      case 5 -> in.skipNBytes(4);
      default -> throw new IOException("unsupported wire type " + (tag & 7) + " of field " + (tag >>> 3));
    }
  }
}
