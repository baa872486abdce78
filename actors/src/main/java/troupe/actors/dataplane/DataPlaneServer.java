package troupe.actors.dataplane;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import troupe.v1.Chunk;
import troupe.v1.DataPlaneGrpc;
import troupe.v1.FetchRequest;

/** The data-plane gRPC service of one node: serves the blobs of its own {@link BlobStore} in checksummed chunks. */
public final class DataPlaneServer implements AutoCloseable {
  public static final int DEFAULT_CHUNK_BYTES = 1024 * 1024;
  /** A chunk plus its message fields must fit the 4 MiB a gRPC client accepts by default. */
  public static final int MAX_CHUNK_BYTES = 4 * 1024 * 1024 - 64 * 1024;
  /** So that a blob of 2 GiB, the largest array, has at most 32768 chunks, each index at most 3 bytes on the wire. */
  public static final int MIN_CHUNK_BYTES = 64 * 1024;
  /** A request is a key, a version and at most every chunk index of the largest blob (under 100 KiB). */
  private static final int MAX_REQUEST_BYTES = 256 * 1024;

  private final Server server;
  private final int chunkBytes;
  // Set right after the server is bound, since the endpoint in every BlobRef needs the port it got.
  private volatile BlobStore store;
  private final List<ChunkId> corruptions = new ArrayList<>();

  private record ChunkId(String key, int index) {}

  private DataPlaneServer(String host, int port, int chunkBytes, ServerCredentials credentials) {
    this.chunkBytes = chunkBytes;
    server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials)
        .addService(new FetchService())
        .maxInboundMessageSize(MAX_REQUEST_BYTES)
        .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the data plane on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    // Other nodes connect to the address bound here, so it must be one they can reach.
    String endpointHost = host.contains(":") ? "[" + host + "]" : host; // an IPv6 literal needs brackets
    store = new BlobStore(endpointHost + ":" + server.getPort(), chunkBytes);
  }

  /** Serves plaintext on host:port (port 0 picks a free port) in chunks of {@code chunkBytes}. */
  public static DataPlaneServer start(String host, int port, int chunkBytes) {
    return start(host, port, chunkBytes, InsecureServerCredentials.create());
  }

  /** Serves with these credentials (TLS with client certificates on a cluster with keys). */
  public static DataPlaneServer start(String host, int port, int chunkBytes, ServerCredentials credentials) {
    if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException("chunk size must be " + MIN_CHUNK_BYTES + ".." + MAX_CHUNK_BYTES
          + " bytes, got " + chunkBytes);
    }
    return new DataPlaneServer(host, port, chunkBytes, credentials);
  }

  public BlobStore store() {
    return store;
  }

  /** host:port of this server, as written into every {@link troupe.v1.BlobRef} of its store. */
  public String endpoint() {
    return store.endpoint();
  }

  /**
   * Fault injection for tests: the next time chunk {@code index} of {@code key} is sent, one byte of the sent copy
   * is flipped after its checksum was computed, as if it were damaged on the way; the stored blob stays intact.
   * Each call damages one more sending of that chunk.
   */
  public void corruptChunkOnce(String key, int index) {
    synchronized (corruptions) {
      corruptions.add(new ChunkId(key, index));
    }
  }

  private boolean takeCorruption(String key, int index) {
    synchronized (corruptions) {
      return !corruptions.isEmpty() && corruptions.remove(new ChunkId(key, index));
    }
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private final class FetchService extends DataPlaneGrpc.DataPlaneImplBase {
    @Override
    public void fetch(FetchRequest request, StreamObserver<Chunk> out) {
      String key = request.getKey();
      // Before the constructor has set the store nothing can have been published: the same as an empty store.
      BlobStore.Stored stored = store == null ? null : store.get(key).orElse(null);
      if (stored == null) {
        out.onError(Status.NOT_FOUND.withDescription("no blob with key \"" + key + "\" on this node")
            .asRuntimeException());
        return;
      }
      if (stored.version() != request.getVersion()) {
        out.onError(Status.FAILED_PRECONDITION.withDescription("holds version " + stored.version() + " of " + key
            + ", not " + request.getVersion()).asRuntimeException());
        return;
      }
      int chunks = BlobStore.chunkCount(stored.bytes().length, chunkBytes);
      for (int index : request.getChunksList()) {
        if (index < 0 || index >= chunks) {
          out.onError(Status.INVALID_ARGUMENT.withDescription("chunk " + index + " of " + key + " version "
              + stored.version() + " is out of range: it has " + chunks + " chunks").asRuntimeException());
          return;
        }
      }
      int[] order = request.getChunksCount() == 0
          ? IntStream.range(0, chunks).toArray()
          : request.getChunksList().stream().mapToInt(Integer::intValue).toArray();
      new ChunkSender(key, stored, order, (ServerCallStreamObserver<Chunk>) out).start();
    }
  }

  /**
   * Sends chunks only while the transport has room and resumes when it has room again, so a slow client holds
   * back the server instead of making it queue a copy of the whole blob. gRPC runs both handlers of one call one at
   * a time.
   */
  private final class ChunkSender {
    private final String key;
    private final BlobStore.Stored stored;
    private final byte[] blob;
    private final int[] order;
    private final ServerCallStreamObserver<Chunk> stream;
    private int next;
    private boolean done;

    ChunkSender(String key, BlobStore.Stored stored, int[] order, ServerCallStreamObserver<Chunk> stream) {
      this.key = key;
      this.stored = stored;
      this.blob = stored.bytes();
      this.order = order;
      this.stream = stream;
    }

    /** gRPC calls the ready handler once the method has returned, and again each time the transport drains. */
    void start() {
      stream.setOnCancelHandler(() -> done = true);
      stream.setOnReadyHandler(this::pump);
    }

    private void pump() {
      while (!done && next < order.length && stream.isReady()) {
        stream.onNext(chunk(order[next++]));
      }
      if (!done && next == order.length) {
        done = true;
        stream.onCompleted();
      }
    }

    private Chunk chunk(int index) {
      int offset = index * chunkBytes; // below blob.length, so it fits an int
      int length = Math.min(chunkBytes, blob.length - offset);
      ByteString data;
      if (takeCorruption(key, index)) {
        byte[] copy = new byte[length];
        System.arraycopy(blob, offset, copy, 0, length);
        copy[length / 2] ^= 0x01;
        data = UnsafeByteOperations.unsafeWrap(copy);
      } else {
        data = UnsafeByteOperations.unsafeWrap(blob, offset, length); // the stored blob, not a copy of it
      }
      return Chunk.newBuilder().setIndex(index).setOffset(offset).setData(data).setCrc32C(stored.chunkCrcs()[index])
          .build();
    }
  }
}
