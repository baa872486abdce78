package troupe.actors.dataplane;

import io.grpc.MethodDescriptor;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.BitSet;
import java.util.zip.CRC32C;
import troupe.v1.BlobRef;

/**
 * Puts one blob together from {@link troupe.v1.Chunk} messages, as the response marshaller of the client's Fetch
 * calls: it reads each chunk's data straight from the transport into its place in the blob. Parsing a Chunk as a
 * protobuf message instead would copy every byte twice more (into a parse buffer, then into the message) and leave
 * a chunk-sized array of garbage per message.
 *
 * <p>The data is placed using the index and offset read before it: protobuf encoders write fields in field-number
 * order and leave out zero values (so chunk 0 carries neither). A chunk that names its index or offset after its
 * data counts as bad. Each chunk is checked against its CRC32C in place; a damaged one is overwritten when it is
 * received again, and an intact one is never written again.
 *
 * <p>gRPC calls {@link #parse} on its own thread, one message at a time. The fetching thread calls {@link #hash}
 * with each intact chunk it is handed, so the whole blob's CRC32C is computed while later chunks are still being
 * read.
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
  // Used by parse only; read by the fetching thread once a call has ended.
  private final BitSet bad = new BitSet(); // not yet received intact
  // Used by the fetching thread only.
  private final BitSet intact = new BitSet();
  private final CRC32C whole = new CRC32C();
  private int hashed; // chunks in the whole-blob CRC32C so far

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

  /** Adds the intact prefix of the blob to the whole-blob CRC32C; call with each chunk received intact. */
  void hash(int intactIndex) {
    intact.set(intactIndex);
    for (; hashed < ref.getChunks() && intact.get(hashed); hashed++) {
      whole.update(blob, offset(hashed), length(hashed));
    }
  }

  /** The CRC32C of the blob, once every chunk was added. */
  int crc32c() {
    return (int) whole.getValue();
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
    for (int tag = (int) readVarint(in, true); tag != 0; tag = (int) readVarint(in, true)) {
      switch (tag) {
        case INDEX, OFFSET -> {
          long value = readVarint(in, false);
          if (placed) {
            return new Received(index, true, "index or offset after the data");
          }
          if (tag == INDEX) {
            index = (int) value;
          } else {
            offset = value;
          }
        }
        case DATA -> {
          int length = readLength(in);
          if (!askedFor(index)) {
            return new Received(index, false, null); // nothing to check it against
          }
          if (offset != offset(index)) {
            return new Received(index, true, "offset " + offset + ", expected " + offset(index));
          }
          if (length != length(index)) {
            return new Received(index, true, length + " bytes, expected " + length(index));
          }
          if (in.readNBytes(blob, offset(index), length) != length) {
            throw new EOFException("the data ends early");
          }
          placed = true;
        }
        case CRC32C -> crc = readFixed32(in);
        default -> skipField(in, tag);
      }
    }
    if (!askedFor(index)) {
      return new Received(index, false, null);
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
    return new Received(index, true, null);
  }

  /** Chunks already intact are not written again: their place in the blob is final. */
  private boolean askedFor(int index) {
    return index >= 0 && index < ref.getChunks() && bad.get(index);
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

  private static int readLength(InputStream in) throws IOException {
    long length = readVarint(in, false);
    if (length < 0 || length > Integer.MAX_VALUE) {
      throw new IOException("a field length of " + length + " bytes");
    }
    return (int) length;
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
      case 2 -> in.skipNBytes(readLength(in));
      case 5 -> in.skipNBytes(4);
      default -> throw new IOException("unsupported wire type " + (tag & 7) + " of field " + (tag >>> 3));
    }
  }
}
