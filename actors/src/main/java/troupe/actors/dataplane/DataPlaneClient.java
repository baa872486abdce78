package troupe.actors.dataplane;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import troupe.v1.BlobRef;
import troupe.v1.Chunk;
import troupe.v1.DataPlaneGrpc;
import troupe.v1.FetchRequest;

/**
 * Fetches blobs from the data planes of other nodes, one cached channel per endpoint. Every chunk is checked
 * against its checksum, offset and length; the ones that fail or do not arrive are asked for again, and the whole
 * blob is checked against its SHA-256 at the end. Plaintext for now.
 */
public final class DataPlaneClient implements AutoCloseable {
  /** A fetched blob: its bytes, its number of chunks, how many chunk sendings were asked for again, wall time. */
  public record Fetched(byte[] bytes, int chunks, int refetchedChunks, double seconds) {}

  /** Rounds of asking again for the chunks still bad, after the first round that asks for all of them. */
  static final int REFETCH_ROUNDS = 3;
  /** Room for the fields of a Chunk message around its data. */
  private static final int MESSAGE_OVERHEAD_BYTES = 64 * 1024;
  /** The largest Java array, a few bytes under Integer.MAX_VALUE. */
  private static final long MAX_BLOB_BYTES = Integer.MAX_VALUE - 8;

  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private boolean closed;

  /**
   * Fetches the blob {@code ref} points to, within {@code timeout} for all rounds together.
   *
   * @throws IOException if the server answers with an error, a chunk is still bad after {@value #REFETCH_ROUNDS}
   *     rounds of asking again, or the whole blob does not match its SHA-256
   */
  public Fetched fetch(BlobRef ref, Duration timeout) throws IOException {
    long start = System.nanoTime();
    checkShape(ref);
    Deadline deadline = Deadline.after(timeout.toNanos(), TimeUnit.NANOSECONDS);
    DataPlaneGrpc.DataPlaneBlockingStub stub = DataPlaneGrpc.newBlockingStub(channel(ref.getEndpoint()))
        .withDeadline(deadline)
        .withMaxInboundMessageSize(ref.getChunkBytes() + MESSAGE_OVERHEAD_BYTES);
    Assembly assembly = new Assembly(ref);
    List<Integer> request = List.of(); // every chunk, in order
    int refetched = 0;
    for (int round = 0; ; round++) {
      Map<Integer, String> problems = receive(stub, ref, request, assembly);
      if (assembly.bad.isEmpty()) {
        break;
      }
      if (round == REFETCH_ROUNDS) {
        throw new IOException(describe(ref) + ": chunks " + problems.keySet() + " still bad after "
            + REFETCH_ROUNDS + " re-fetches (" + problems.values() + ")");
      }
      request = assembly.bad.stream().boxed().toList();
      refetched += request.size();
    }
    if (!MessageDigest.isEqual(assembly.sha256.digest(), ref.getSha256().toByteArray())) {
      throw new IOException(describe(ref) + ": every chunk matched its checksum but the blob does not match its"
          + " SHA-256");
    }
    return new Fetched(assembly.blob, ref.getChunks(), refetched, (System.nanoTime() - start) / 1e9);
  }

  /** One Fetch call for {@code request} into {@code assembly}. Returns why each chunk still bad is bad. */
  private static Map<Integer, String> receive(DataPlaneGrpc.DataPlaneBlockingStub stub, BlobRef ref,
      List<Integer> request, Assembly assembly) throws IOException {
    Map<Integer, String> problems = new TreeMap<>();
    try {
      Iterator<Chunk> chunks = stub.fetch(FetchRequest.newBuilder()
          .setKey(ref.getKey()).setVersion(ref.getVersion()).addAllChunks(request).build());
      while (chunks.hasNext()) {
        Chunk chunk = chunks.next();
        int index = chunk.getIndex();
        if (index < 0 || index >= ref.getChunks() || !assembly.bad.get(index)) {
          continue; // not asked for: nothing to check it against, and the chunks that were asked for still count
        }
        String problem = assembly.place(chunk);
        if (problem == null) {
          problems.remove(index);
        } else {
          problems.put(index, "chunk " + index + ": " + problem);
        }
      }
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      throw new IOException(describe(ref) + " failed: " + status.getCode() + ": " + status.getDescription(), e);
    }
    // The stream may end before every chunk was sent; those are asked for again like damaged ones.
    assembly.bad.stream().filter(index -> !problems.containsKey(index))
        .forEach(index -> problems.put(index, "chunk " + index + ": not received"));
    return problems;
  }

  /**
   * A blob being put together from its chunks: which are still bad, and the SHA-256 of the intact prefix, hashed
   * while later chunks are still on the way rather than all at the end.
   */
  private static final class Assembly {
    final BlobRef ref;
    final byte[] blob;
    final BitSet bad; // not yet received intact
    final MessageDigest sha256 = BlobStore.sha256();
    private int hashed; // chunks in sha256 so far

    Assembly(BlobRef ref) {
      this.ref = ref;
      blob = new byte[(int) ref.getTotalBytes()];
      bad = new BitSet(ref.getChunks());
      bad.set(0, ref.getChunks());
    }

    /** Copies the chunk to its place in the blob and checks it; returns what is wrong with it, or null. */
    String place(Chunk chunk) {
      int index = chunk.getIndex();
      int offset = offset(index);
      int length = length(index);
      if (chunk.getOffset() != offset) {
        return "offset " + chunk.getOffset() + ", expected " + offset;
      }
      if (chunk.getData().size() != length) {
        return chunk.getData().size() + " bytes, expected " + length;
      }
      chunk.getData().copyTo(blob, offset);
      // Checked in place: a damaged chunk is overwritten when it is received again.
      CRC32C crc = new CRC32C();
      crc.update(blob, offset, length);
      if ((int) crc.getValue() != chunk.getCrc32C()) {
        return "crc32c mismatch";
      }
      bad.clear(index);
      for (; hashed < ref.getChunks() && !bad.get(hashed); hashed++) {
        sha256.update(blob, offset(hashed), length(hashed));
      }
      return null;
    }

    private int offset(int index) {
      return index * ref.getChunkBytes(); // below the blob's length, so it fits an int
    }

    private int length(int index) {
      return Math.min(ref.getChunkBytes(), blob.length - offset(index));
    }
  }

  private static void checkShape(BlobRef ref) {
    long total = ref.getTotalBytes();
    int chunkBytes = ref.getChunkBytes();
    if (total < 0 || total > MAX_BLOB_BYTES || chunkBytes <= 0
        || ref.getChunks() != BlobStore.chunkCount(total, chunkBytes)) {
      throw new IllegalArgumentException("inconsistent BlobRef for " + describe(ref) + ": " + total + " bytes in "
          + ref.getChunks() + " chunks of " + chunkBytes + " bytes");
    }
  }

  private static String describe(BlobRef ref) {
    return "fetching \"" + ref.getKey() + "\" version " + ref.getVersion() + " from " + ref.getEndpoint();
  }

  private synchronized ManagedChannel channel(String endpoint) {
    if (closed) {
      throw new IllegalStateException("the data-plane client is closed");
    }
    return channels.computeIfAbsent(endpoint, target -> NettyChannelBuilder.forTarget(target)
        .usePlaintext()
        .flowControlWindow(Integer.getInteger("fcw", 1 << 20))
        .build());
  }

  @Override
  public void close() {
    List<ManagedChannel> open;
    synchronized (this) {
      closed = true;
      open = new ArrayList<>(channels.values());
      channels.clear();
    }
    open.forEach(ManagedChannel::shutdown);
    try {
      for (ManagedChannel channel : open) {
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      open.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }
}
