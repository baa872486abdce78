package troupe.actors.dataplane;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import troupe.v1.BlobRef;
import troupe.v1.Chunk;
import troupe.v1.DataPlaneGrpc;
import troupe.v1.FetchRequest;

/** The data plane over real loopback gRPC: one server with 1 MiB chunks, one client. */
class DataPlaneTest {
  private static final int MIB = 1024 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static DataPlaneServer server;
  private static DataPlaneClient client;

  @BeforeAll
  static void start() {
    server = DataPlaneServer.start("127.0.0.1", 0, DataPlaneServer.DEFAULT_CHUNK_BYTES);
    client = new DataPlaneClient();
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @Test
  void aTenMegabyteBlobRoundTripsInChunksWithAShortLastOne() throws Exception {
    byte[] blob = random(10_000_000, 1);
    BlobRef ref = server.store().publish("wf-1/weights", 1, blob);
    assertEquals(server.endpoint(), ref.getEndpoint());
    assertEquals(10, ref.getChunks()); // 9 full chunks and 562,816 bytes

    DataPlaneClient.Fetched fetched = client.fetch(ref, TIMEOUT);
    assertArrayEquals(blob, fetched.bytes());
    assertEquals(10, fetched.chunks());
    assertEquals(0, fetched.refetchedChunks());

    // The last chunk alone, as a re-fetch asks for it.
    ManagedChannel channel = NettyChannelBuilder.forTarget(server.endpoint()).usePlaintext().build();
    try {
      var stub = DataPlaneGrpc.newBlockingStub(channel);
      List<Chunk> last = iterate(stub.fetch(FetchRequest.newBuilder().setKey("wf-1/weights").setVersion(1)
          .addChunks(9).build()));
      assertEquals(1, last.size());
      assertEquals(9, last.get(0).getIndex());
      assertEquals(9L * MIB, last.get(0).getOffset());
      assertEquals(10_000_000 - 9 * MIB, last.get(0).getData().size());

      var e = assertThrows(StatusRuntimeException.class, () -> iterate(stub.fetch(FetchRequest.newBuilder()
          .setKey("wf-1/weights").setVersion(1).addChunks(10).build())));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("chunk 10 of wf-1/weights"), e.getMessage());
    } finally {
      channel.shutdownNow();
    }
  }

  private static List<Chunk> iterate(Iterator<Chunk> chunks) {
    List<Chunk> all = new ArrayList<>();
    chunks.forEachRemaining(all::add);
    return all;
  }

  @Test
  void aChunkDamagedOnceIsDetectedAndFetchedAgain() throws Exception {
    byte[] blob = random(6 * MIB + 5, 2);
    BlobRef ref = server.store().publish("wf-2/weights", 1, blob);
    server.corruptChunkOnce("wf-2/weights", 3);

    DataPlaneClient.Fetched fetched = client.fetch(ref, TIMEOUT);
    assertArrayEquals(blob, fetched.bytes());
    assertEquals(1, fetched.refetchedChunks());
    assertArrayEquals(blob, server.store().get("wf-2/weights").orElseThrow().bytes(), "the stored blob changed");
  }

  @Test
  void aChunkDamagedEveryTimeFailsTheFetchNamingIt() {
    byte[] blob = random(4 * MIB, 3);
    BlobRef ref = server.store().publish("wf-3/weights", 7, blob);
    for (int i = 0; i < 5; i++) {
      server.corruptChunkOnce("wf-3/weights", 2);
    }
    var e = assertThrows(IOException.class, () -> client.fetch(ref, TIMEOUT));
    assertTrue(e.getMessage().contains("chunk 2: crc32c mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains("\"wf-3/weights\" version 7"), e.getMessage());
  }

  @Test
  void anUnknownKeyOrAnotherVersionIsAnIoErrorSayingWhy() {
    BlobRef held = server.store().publish("wf-4/weights", 3, random(1000, 4));

    BlobRef unknown = held.toBuilder().setKey("wf-4/nothing").build();
    var missing = assertThrows(IOException.class, () -> client.fetch(unknown, TIMEOUT));
    assertTrue(missing.getMessage().contains("NOT_FOUND"), missing.getMessage());
    assertTrue(missing.getMessage().contains("wf-4/nothing"), missing.getMessage());
    assertTrue(missing.getMessage().contains(server.endpoint()), missing.getMessage());

    BlobRef older = held.toBuilder().setVersion(2).build();
    var stale = assertThrows(IOException.class, () -> client.fetch(older, TIMEOUT));
    assertTrue(stale.getMessage().contains("FAILED_PRECONDITION: holds version 3 of wf-4/weights, not 2"),
        stale.getMessage());
  }

  @Test
  void theStoreKeepsTheNewestVersionAndRemovesByPrefix() throws Exception {
    BlobStore store = server.store();
    store.publish("wf-5/weights", 1, random(100, 5));
    byte[] newer = random(200, 6);
    BlobRef ref = store.publish("wf-5/weights", 2, newer);
    assertEquals(2, store.get("wf-5/weights").orElseThrow().version());
    assertArrayEquals(newer, client.fetch(ref, TIMEOUT).bytes());

    var e = assertThrows(IllegalArgumentException.class, () -> store.publish("wf-5/weights", 1, new byte[1]));
    assertTrue(e.getMessage().contains("version 2 is already stored"), e.getMessage());
    assertEquals(2, store.get("wf-5/weights").orElseThrow().version());

    store.publish("wf-5/rollouts", 1, new byte[10]);
    store.publish("wf-50/weights", 1, new byte[10]);
    store.remove("wf-5/");
    assertFalse(store.get("wf-5/weights").isPresent());
    assertFalse(store.get("wf-5/rollouts").isPresent());
    assertTrue(store.get("wf-50/weights").isPresent());
  }

  @Test
  void anEmptyBlobRoundTrips() throws Exception {
    BlobRef ref = server.store().publish("wf-6/empty", 1, new byte[0]);
    assertEquals(0, ref.getChunks());
    DataPlaneClient.Fetched fetched = client.fetch(ref, TIMEOUT);
    assertEquals(0, fetched.bytes().length);
    assertEquals(0, fetched.chunks());
    assertEquals(0, fetched.refetchedChunks());
  }

  /** A Chunk message written field by field, in the order given, as another encoder might. */
  private static byte[] chunkMessage(int index, long offset, byte[] data, int crc, boolean indexLast)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    if (!indexLast) {
      out.writeInt32(1, index);
    }
    out.writeInt64(2, offset);
    out.writeByteArray(3, data);
    out.writeFixed32(4, crc);
    out.writeString(15, "a field added later"); // unknown to the reader: skipped
    if (indexLast) {
      out.writeInt32(1, index);
    }
    out.flush();
    return bytes.toByteArray();
  }

  private static int crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return (int) crc.getValue();
  }

  @Test
  void theChunkReaderPlacesChecksAndRejectsChunksOnTheWire() throws Exception {
    byte[] blob = "0123456789".getBytes(StandardCharsets.US_ASCII);
    BlobRef ref = new BlobStore("nowhere:1", 4).publish("k", 1, blob); // chunks "0123", "4567", "89"
    ChunkReader reader = new ChunkReader(ref);
    byte[] second = Arrays.copyOfRange(blob, 4, 8);
    byte[] last = Arrays.copyOfRange(blob, 8, 10);

    assertEquals(new ChunkReader.Received(1, true, null),
        reader.parse(new ByteArrayInputStream(chunkMessage(1, 4, second, crc32c(second), false))));
    assertEquals(new ChunkReader.Received(1, false, null), // already intact: not written again
        reader.parse(new ByteArrayInputStream(chunkMessage(1, 4, new byte[4], 0, false))));
    assertEquals(new ChunkReader.Received(2, true, "crc32c mismatch"),
        reader.parse(new ByteArrayInputStream(chunkMessage(2, 8, last, crc32c(last) + 1, false))));
    assertEquals(new ChunkReader.Received(2, true, "offset 7, expected 8"),
        reader.parse(new ByteArrayInputStream(chunkMessage(2, 7, last, crc32c(last), false))));
    assertEquals(new ChunkReader.Received(2, true, "3 bytes, expected 2"),
        reader.parse(new ByteArrayInputStream(chunkMessage(2, 8, new byte[3], 0, false))));
    // An index written after the data: until then the index is 0 (left out means 0), so the data went to chunk 0's
    // place, which stays bad.
    assertEquals(new ChunkReader.Received(0, true, "index or offset after the data"),
        reader.parse(new ByteArrayInputStream(chunkMessage(2, 0, Arrays.copyOf(blob, 4), 0, true))));
    assertEquals(List.of(0, 2), reader.bad().stream().boxed().toList());

    byte[] truncated = Arrays.copyOf(chunkMessage(2, 8, last, crc32c(last), false), 6);
    var e = assertThrows(UncheckedIOException.class, () -> reader.parse(new ByteArrayInputStream(truncated)));
    assertTrue(e.getMessage().contains("malformed chunk of \"k\""), e.getMessage());
  }
}
