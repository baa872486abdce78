package troupe.actors.dataplane;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Deadline;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import troupe.v1.BlobRef;
import troupe.v1.DataPlaneGrpc;
import troupe.v1.FetchRequest;

/**
 * Fetches blobs from the data planes of other nodes, one cached channel per endpoint. Every chunk is checked
 * against its checksum, offset and length; the ones that fail or do not arrive are asked for again, and the whole
 * blob is checked against its CRC32C. Plaintext, or TLS with the credentials given. Thread-safe: fetches may run in
 * parallel.
 */
public final class DataPlaneClient implements AutoCloseable {
  /** A fetched blob: its bytes, its chunks, how many chunks were asked for again (summed over rounds), wall time. */
  public record Fetched(byte[] bytes, int chunks, int refetchedChunks, double seconds) {}

  /** Rounds of asking again for the chunks still bad, after the first round that asks for all of them. */
  static final int REFETCH_ROUNDS = 3;
  /** Room for the fields of a Chunk message around its data. */
  private static final int MESSAGE_OVERHEAD_BYTES = 64 * 1024;
  /** The largest Java array, a few bytes under Integer.MAX_VALUE. */
  private static final long MAX_BLOB_BYTES = Integer.MAX_VALUE - 8;

  private final ChannelCredentials credentials;
  private final String authority;
  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private boolean closed;

  /** A plaintext client. */
  public DataPlaneClient() {
    this(InsecureChannelCredentials.create(), null);
  }

  /**
   * A client with these credentials; {@code authority} (if not null) is the name the servers' certificates are
   * checked against instead of the host of each endpoint.
   */
  public DataPlaneClient(ChannelCredentials credentials, String authority) {
    this.credentials = credentials;
    this.authority = authority;
  }

  /**
   * Fetches the blob {@code ref} points to, within {@code timeout} for all rounds together.
   *
   * @throws IOException if the server answers with an error, a chunk is still bad after {@value #REFETCH_ROUNDS}
   *     rounds of asking again, or the whole blob does not match its CRC32C
   */
  public Fetched fetch(BlobRef ref, Duration timeout) throws IOException {
    long start = System.nanoTime();
    checkShape(ref);
    ManagedChannel channel = channel(ref.getEndpoint());
    CallOptions options = CallOptions.DEFAULT
        .withDeadline(Deadline.after(timeout.toNanos(), TimeUnit.NANOSECONDS))
        .withMaxInboundMessageSize(ref.getChunkBytes() + MESSAGE_OVERHEAD_BYTES);
    ChunkReader reader = new ChunkReader(ref);
    MethodDescriptor<FetchRequest, ChunkReader.Received> fetch = DataPlaneGrpc.getFetchMethod()
        .toBuilder(DataPlaneGrpc.getFetchMethod().getRequestMarshaller(), reader).build();
    List<Integer> request = List.of(); // every chunk, in order
    int refetched = 0;
    for (int round = 0; ; round++) {
      Map<Integer, String> problems = receive(channel, fetch, options, ref, request, reader);
      if (problems.isEmpty()) {
        break;
      }
      if (round == REFETCH_ROUNDS) {
        throw new IOException(describe(ref) + ": chunks " + problems.keySet() + " still bad after "
            + REFETCH_ROUNDS + " re-fetches (" + problems.values() + ")");
      }
      request = List.copyOf(problems.keySet());
      refetched += request.size();
    }
    if (reader.crc32c() != ref.getCrc32C()) {
      throw new IOException(describe(ref) + ": every chunk matched its checksum but the blob does not match its"
          + " CRC32C");
    }
    return new Fetched(reader.blob(), ref.getChunks(), refetched, (System.nanoTime() - start) / 1e9);
  }

  /**
   * One Fetch call for the chunks in {@code request} (all if empty). Returns why each chunk that is still bad
   * afterwards is bad, in order of index.
   */
  private static Map<Integer, String> receive(ManagedChannel channel,
      MethodDescriptor<FetchRequest, ChunkReader.Received> fetch, CallOptions options, BlobRef ref,
      List<Integer> request, ChunkReader reader) throws IOException {
    Map<Integer, String> problems = new TreeMap<>();
    try {
      Iterator<ChunkReader.Received> chunks = ClientCalls.blockingServerStreamingCall(channel, fetch, options,
          FetchRequest.newBuilder().setKey(ref.getKey()).setVersion(ref.getVersion()).addAllChunks(request).build());
      while (chunks.hasNext()) {
        ChunkReader.Received chunk = chunks.next();
        if (!chunk.askedFor()) {
          continue;
        }
        if (chunk.problem() == null) {
          reader.hash(chunk.index());
          problems.remove(chunk.index());
        } else {
          problems.put(chunk.index(), "chunk " + chunk.index() + ": " + chunk.problem());
        }
      }
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      throw new IOException(describe(ref) + " failed: " + status.getCode() + ": " + status.getDescription()
          + (status.getCause() == null ? "" : " (" + status.getCause().getMessage() + ")"), e);
    }
    // The stream may end before every chunk was sent; those are asked for again like damaged ones.
    reader.bad().stream().filter(index -> !problems.containsKey(index))
        .forEach(index -> problems.put(index, "chunk " + index + ": not received"));
    return problems;
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
    return channels.computeIfAbsent(endpoint, target -> {
      NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target, credentials);
      return (authority == null ? builder : builder.overrideAuthority(authority)).build();
    });
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
