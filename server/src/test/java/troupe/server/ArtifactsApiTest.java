package troupe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;
import troupe.v1.Artifact;
import troupe.v1.ArtifactChunk;
import troupe.v1.DownloadArtifactRequest;
import troupe.v1.GetWorkflowRequest;
import troupe.v1.ListArtifactsRequest;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowServiceGrpc;

/** ListArtifacts and DownloadArtifact in-process, on the folder of a real (tiny) finished workflow. */
class ArtifactsApiTest {
  @TempDir static Path dir;
  static TroupeServer server;
  static ManagedChannel channel;
  static WorkflowServiceGrpc.WorkflowServiceBlockingStub api;
  static String id;
  static Path folder;

  @BeforeAll
  static void runTinyWorkflow() {
    server = TroupeServer.inProcess(NodeConfig.embedded(dir.resolve("data")), "artifacts-test");
    channel = InProcessChannelBuilder.forName("artifacts-test").build();
    api = WorkflowServiceGrpc.newBlockingStub(channel);
    id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder()
        .setSpecYaml(GrpcApiTest.TINY + "stages:\n  - sft: {steps: 2, batch_size: 4}\n").build()).getWorkflowId();
    api.watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build()).forEachRemaining(e -> { });
    folder = Path.of(api.getWorkflow(GetWorkflowRequest.newBuilder().setWorkflowId(id).build()).getFolder());
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
  }

  static List<Artifact> list(String workflowId) {
    return api.listArtifacts(ListArtifactsRequest.newBuilder().setWorkflowId(workflowId).build()).getArtifactsList();
  }

  static List<ArtifactChunk> download(String workflowId, String path) {
    List<ArtifactChunk> chunks = new ArrayList<>();
    api.downloadArtifact(DownloadArtifactRequest.newBuilder().setWorkflowId(workflowId).setPath(path).build())
        .forEachRemaining(chunks::add);
    return chunks;
  }

  /** The chunks joined, after checking they are contiguous, at most 64 KiB, and agree on the total. */
  static byte[] join(List<ArtifactChunk> chunks) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (ArtifactChunk c : chunks) {
      assertEquals(bytes.size(), c.getOffset(), "offsets are contiguous");
      assertTrue(c.getData().size() <= 64 * 1024, "chunk of " + c.getData().size() + " bytes");
      assertEquals(chunks.get(0).getTotalBytes(), c.getTotalBytes());
      bytes.writeBytes(c.getData().toByteArray());
    }
    assertEquals(chunks.get(0).getTotalBytes(), bytes.size());
    return bytes.toByteArray();
  }

  static Status rejection(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus();
  }

  @Test
  void listsTheWorkflowFilesSortedWithSizesAndTimes() throws Exception {
    List<Artifact> artifacts = list(id);
    List<String> paths = artifacts.stream().map(Artifact::getPath).toList();
    assertTrue(paths.containsAll(List.of("spec.json", "events.jsonl", "metrics.jsonl")), paths.toString());
    assertTrue(paths.stream().anyMatch(p -> p.startsWith("checkpoints/") && p.endsWith(".safetensors")),
        paths.toString());
    assertEquals(paths.stream().sorted().toList(), paths);
    for (Artifact a : artifacts) {
      Path file = folder.resolve(a.getPath());
      assertEquals(Files.size(file), a.getSizeBytes(), a.getPath());
      assertEquals(Files.getLastModifiedTime(file).toMillis(), a.getModifiedUnixMillis(), a.getPath());
    }
  }

  @Test
  void downloadsExactlyTheFileBytes() throws Exception {
    for (Artifact a : list(id)) {
      assertArrayEquals(Files.readAllBytes(folder.resolve(a.getPath())), join(download(id, a.getPath())),
          a.getPath());
    }
    byte[] big = new byte[1_234_567]; // many chunks, the last one partial
    new Random(7).nextBytes(big);
    Files.createDirectories(folder.resolve("grids"));
    Files.write(folder.resolve("grids/big.bin"), big);
    List<ArtifactChunk> chunks = download(id, "grids/big.bin");
    assertEquals(19, chunks.size());
    assertArrayEquals(big, join(chunks));
    assertTrue(list(id).stream().anyMatch(a -> a.getPath().equals("grids/big.bin") && a.getSizeBytes() == big.length));

    Files.write(folder.resolve("empty.txt"), new byte[0]);
    chunks = download(id, "empty.txt");
    assertEquals(1, chunks.size(), "an empty file still tells its size");
    assertEquals(0, chunks.get(0).getTotalBytes());
  }

  @Test
  void pathsOutsideTheFolderAreInvalid() throws Exception {
    Path outside = Files.writeString(dir.resolve("secret.txt"), "not yours");
    Files.createSymbolicLink(folder.resolve("escape"), outside);
    Files.createSymbolicLink(folder.resolve("escape-dir"), dir);
    for (String path : List.of("../secret.txt", "checkpoints/../../secret.txt", "..", outside.toString(),
        folder.resolve("spec.json").toString(), "checkpoints\\x", "", "escape", "escape-dir/secret.txt")) {
      Status s = rejection(() -> download(id, path));
      assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), path + ": " + s);
      assertFalse(s.getDescription().isBlank());
    }
    assertFalse(list(id).stream().anyMatch(a -> a.getPath().startsWith("escape")), "links are not listed");

    Status s = rejection(() -> download(id, "checkpoints"));
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertTrue(s.getDescription().contains("is a directory"), s.getDescription());
    s = rejection(() -> download(id, "./"));
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
  }

  @Test
  void missingFilesAndWorkflowsAreNotFound() {
    Status s = rejection(() -> download(id, "checkpoints/nope.safetensors"));
    assertEquals(Status.Code.NOT_FOUND, s.getCode());
    assertTrue(s.getDescription().contains("checkpoints/nope.safetensors")
        && s.getDescription().contains("troupe artifacts " + id), s.getDescription());

    s = rejection(() -> list("wf-nope"));
    assertEquals(Status.Code.NOT_FOUND, s.getCode());
    assertTrue(s.getDescription().contains("wf-nope"), s.getDescription());
    s = rejection(() -> download("wf-nope", "spec.json"));
    assertEquals(Status.Code.NOT_FOUND, s.getCode());
    assertTrue(s.getDescription().contains("wf-nope"), s.getDescription());
    assertEquals(Status.Code.INVALID_ARGUMENT, rejection(() -> list("")).getCode());
  }
}
