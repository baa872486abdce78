package troupe.actors.dataplane;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import troupe.v1.BlobRef;

/**
 * The blobs this node serves, newest version per key only. Thread-safe: actors publish while the data-plane server
 * reads. A blob's array is kept as given, not copied (weights can be hundreds of MB): do not modify it after
 * publishing.
 */
public final class BlobStore {
  /** One version of a blob as stored, with the CRC32C of each chunk (computed once, not on every fetch). */
  public record Stored(long version, byte[] bytes, int[] chunkCrcs) {}

  private final String endpoint;
  private final int chunkBytes;
  private final Map<String, Stored> blobs = new ConcurrentHashMap<>();

  /** {@code endpoint} (host:port) is where other nodes fetch from; it goes into every {@link BlobRef}. */
  public BlobStore(String endpoint, int chunkBytes) {
    if (chunkBytes <= 0) {
      throw new IllegalArgumentException("chunk size must be positive, got " + chunkBytes);
    }
    this.endpoint = endpoint;
    this.chunkBytes = chunkBytes;
  }

  public String endpoint() {
    return endpoint;
  }

  public int chunkBytes() {
    return chunkBytes;
  }

  /**
   * Stores {@code bytes} as {@code version} of {@code key}, replacing the version held so far (republishing the
   * same version replaces it too), and returns where and how to fetch it.
   *
   * @throws IllegalArgumentException if a newer version of the key is already stored
   */
  public BlobRef publish(String key, long version, byte[] bytes) {
    // Checksums before taking the key's slot: a large blob takes a while.
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    int[] chunkCrcs = new int[chunkCount(bytes.length, chunkBytes)];
    for (int i = 0; i < chunkCrcs.length; i++) {
      CRC32C chunk = new CRC32C();
      chunk.update(bytes, i * chunkBytes, Math.min(chunkBytes, bytes.length - i * chunkBytes));
      chunkCrcs[i] = (int) chunk.getValue();
    }
    blobs.compute(key, (k, held) -> {
      if (held != null && held.version() > version) {
        throw new IllegalArgumentException("cannot publish version " + version + " of " + key + ": version "
            + held.version() + " is already stored");
      }
      return new Stored(version, bytes, chunkCrcs);
    });
    return BlobRef.newBuilder()
        .setEndpoint(endpoint)
        .setKey(key)
        .setVersion(version)
        .setTotalBytes(bytes.length)
        .setChunkBytes(chunkBytes)
        .setChunks(chunkCount(bytes.length, chunkBytes))
        .setCrc32C((int) crc.getValue())
        .build();
  }

  public Optional<Stored> get(String key) {
    return Optional.ofNullable(blobs.get(key));
  }

  /** Removes every key that starts with {@code keyPrefix}, e.g. "wf-123/" for all blobs of a workflow. */
  public void remove(String keyPrefix) {
    blobs.keySet().removeIf(key -> key.startsWith(keyPrefix));
  }

  /** ceil(totalBytes / chunkBytes): an empty blob has no chunks. */
  static int chunkCount(long totalBytes, int chunkBytes) {
    return Math.toIntExact((totalBytes + chunkBytes - 1) / chunkBytes);
  }
}
