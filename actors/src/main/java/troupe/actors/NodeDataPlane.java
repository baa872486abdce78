package troupe.actors;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import troupe.actors.dataplane.DataPlaneClient;
import troupe.actors.dataplane.DataPlaneServer;
import troupe.v1.BlobRef;
import troupe.v1.Weights;

/**
 * This node's end of the data plane: the gRPC server other nodes fetch blobs from, the client that fetches from
 * theirs, and the policy weights published on this node as objects, which workers on the same node take without
 * any serialization.
 */
public final class NodeDataPlane implements AutoCloseable {
  private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(10);

  private final DataPlaneServer server;
  private final DataPlaneClient client;
  private final Map<String, Weights> localWeights = new ConcurrentHashMap<>();
  private final AtomicLong refetchedChunks = new AtomicLong();
  private final AtomicLong fetchedBytes = new AtomicLong();
  private final AtomicLong serial = new AtomicLong();
  private final java.util.concurrent.ExecutorService fetchPool = java.util.concurrent.Executors.newCachedThreadPool(
      r -> {
        Thread t = new Thread(r, "troupe-data-plane-fetch");
        t.setDaemon(true);
        return t;
      });
  private final Map<String, java.util.Deque<String>> seriesKeys = new ConcurrentHashMap<>();

  /** Plaintext without cluster keys; with them, TLS where each side must show the cluster certificate. */
  NodeDataPlane(String host, int port, ClusterKeys keys) {
    if (keys == null) {
      this.server = DataPlaneServer.start(host, port, DataPlaneServer.DEFAULT_CHUNK_BYTES);
      this.client = new DataPlaneClient();
    } else {
      this.server = DataPlaneServer.start(host, port, DataPlaneServer.DEFAULT_CHUNK_BYTES, serverCredentials(keys));
      // Endpoints are host:port as each node advertises it and every node holds the same certificate, so the
      // certificate is checked against the cluster's name, not the host (as hostname-verification = off for Artery).
      this.client = new DataPlaneClient(channelCredentials(keys), ClusterKeys.CERT_NAME);
    }
  }

  /** The cluster certificate as the server's identity, and a client certificate the cluster trusts required. */
  static ServerCredentials serverCredentials(ClusterKeys keys) {
    return TlsServerCredentials.newBuilder().keyManager(keys.keyManagers()).trustManager(keys.trustManagers())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
  }

  /** The cluster certificate as the client's identity; only a server with the cluster certificate is trusted. */
  static ChannelCredentials channelCredentials(ClusterKeys keys) {
    return TlsChannelCredentials.newBuilder().keyManager(keys.keyManagers()).trustManager(keys.trustManagers())
        .build();
  }

  public DataPlaneServer server() {
    return server;
  }

  static String weightsKey(String workflowId) {
    return workflowId + "/weights";
  }

  /**
   * Publishes a workflow's policy weights on this node, in a slot ("weights": the newest version for rollouts;
   * "reference": the copy a stage's reference was made from). The object stays here for workers of this node; with
   * {@code serialize} the bytes are published too, for workers on other nodes.
   */
  BlobRef publishWeights(String workflowId, String slot, Weights weights, boolean serialize) {
    String key = workflowId + "/" + slot;
    localWeights.put(key, weights);
    if (serialize) {
      return server.store().publish(key, weights.getVersion(), weights.toByteArray());
    }
    return BlobRef.newBuilder().setEndpoint(server.endpoint()).setKey(key).setVersion(weights.getVersion()).build();
  }

  /** The weights a reference names: the object if they were published on this node, else fetched and checked. */
  Weights weights(BlobRef ref) throws IOException {
    if (ref.getEndpoint().equals(server.endpoint())) {
      Weights local = localWeights.get(ref.getKey());
      if (local == null || local.getVersion() != ref.getVersion()) {
        throw new IOException("this node holds " + (local == null ? "no weights" : "version " + local.getVersion())
            + " for " + ref.getKey() + ", not version " + ref.getVersion());
      }
      return local;
    }
    Weights fetched;
    try {
      fetched = Weights.parseFrom(fetch(ref));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("weights " + ref.getKey() + " from " + ref.getEndpoint() + " do not parse: "
          + e.getMessage(), e);
    }
    if (fetched.getVersion() != ref.getVersion()) {
      throw new IOException("fetched weights of version " + fetched.getVersion() + ", expected " + ref.getVersion());
    }
    return fetched;
  }

  /** Publishes bytes under a key of this node (checkpoints, image trajectories) for another node to fetch. */
  BlobRef publish(String key, long version, byte[] bytes) {
    return server.store().publish(key, version, bytes);
  }

  /** Drops one blob published with {@link #publish}. */
  void unpublish(String key) {
    server.store().remove(key);
  }

  /**
   * Publishes one of a series of blobs (a workflow's rollout results) and drops all but the newest {@code keep} of
   * the series, so a node that serves many steps holds a bounded amount.
   */
  BlobRef publishInSeries(String series, long version, byte[] bytes, int keep) {
    java.util.Deque<String> keys = series(series);
    String key = series + "/" + serial.incrementAndGet();
    BlobRef ref = publish(key, version, bytes);
    synchronized (keys) {
      keys.addLast(key);
      while (keys.size() > keep) {
        server.store().remove(keys.removeFirst());
      }
    }
    return ref;
  }

  private java.util.Deque<String> series(String name) {
    return seriesKeys.computeIfAbsent(name, k -> new java.util.ArrayDeque<>());
  }

  /** Fetches a blob from its node, chunk by chunk; bad chunks are fetched again, the whole is checked. */
  byte[] fetch(BlobRef ref) throws IOException {
    DataPlaneClient.Fetched f = client.fetch(ref, FETCH_TIMEOUT);
    refetchedChunks.addAndGet(f.refetchedChunks());
    fetchedBytes.addAndGet(f.bytes().length);
    return f.bytes();
  }

  /** Where blocking fetches run, off the actor threads that complete asks. */
  java.util.concurrent.Executor fetchExecutor() {
    return fetchPool;
  }

  /** Chunks that arrived corrupted or not at all and were fetched again, since this node started. */
  public long refetchedChunks() {
    return refetchedChunks.get();
  }

  public long fetchedBytes() {
    return fetchedBytes.get();
  }

  /** Drops a workflow's blobs and weights from this node. */
  void release(String workflowId) {
    server.store().remove(workflowId + "/");
    localWeights.keySet().removeIf(k -> k.startsWith(workflowId + "/"));
    seriesKeys.keySet().removeIf(k -> k.startsWith(workflowId + "/"));
  }

  @Override
  public void close() {
    fetchPool.shutdownNow();
    client.close();
    server.close();
  }
}
