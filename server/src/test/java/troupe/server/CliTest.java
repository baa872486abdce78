package troupe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.NodeConfig;

/** The command line against a real server on a loopback port: exit codes and the messages a user sees. */
class CliTest {
  @Test
  void submitWatchAndBadInput(@TempDir Path dir) throws Exception {
    try (TroupeServer server = TroupeServer.start(NodeConfig.embedded(dir), "127.0.0.1", 0)) {
      String target = "127.0.0.1:" + server.port();
      Path bad = dir.resolve("bad.yaml");
      Files.writeString(bad, "stages:\n  - grpo: {group_size: 1}\n");
      Output out = capture(() -> TroupeCli.run("submit", "--server", target, bad.toString()));
      assertEquals(2, out.code);
      assertTrue(out.err.contains("INVALID_ARGUMENT") && out.err.contains("stages[0].grpo.group_size"), out.err);

      out = capture(() -> TroupeCli.run("submit", "--server", target, dir.resolve("missing.yaml").toString()));
      assertEquals(1, out.code);
      assertTrue(out.err.contains("no such file"), out.err);

      out = capture(() -> TroupeCli.run("status", "--server", target, "wf-none"));
      assertEquals(2, out.code);
      assertTrue(out.err.contains("NOT_FOUND"), out.err);

      Path good = dir.resolve("good.yaml");
      Files.writeString(good, GrpcApiTest.TINY + "stages:\n  - sft: {steps: 2, batch_size: 4}\n");
      out = capture(() -> TroupeCli.run("submit", "--server", target, good.toString()));
      assertEquals(0, out.code, out.err);
      String id = out.out.strip();
      assertTrue(id.startsWith("wf-"), id);
      out = capture(() -> TroupeCli.run("watch", "--server", target, id));
      assertEquals(0, out.code, out.err);
      assertTrue(out.out.contains("workflow completed"), out.out);
    }
  }

  @Test
  void artifactsListsDownloadsAndRejectsTraversal(@TempDir Path dir) throws Exception {
    try (TroupeServer server = TroupeServer.start(NodeConfig.embedded(dir.resolve("data")), "127.0.0.1", 0)) {
      String target = "127.0.0.1:" + server.port();
      Path spec = dir.resolve("tiny.yaml");
      Files.writeString(spec, GrpcApiTest.TINY + "stages:\n  - sft: {steps: 2, batch_size: 4}\n");
      String id = capture(() -> TroupeCli.run("submit", "--server", target, spec.toString())).out.strip();
      assertEquals(0, capture(() -> TroupeCli.run("watch", "--server", target, id)).code);
      Path folder;
      try (TroupeClient client = new TroupeClient(target)) {
        folder = Path.of(client.get(id).getFolder());
      }
      byte[] big = new byte[300_000];
      new java.util.Random(11).nextBytes(big);
      Files.write(folder.resolve("big.bin"), big);

      Output out = capture(() -> TroupeCli.run("artifacts", "--server", target, id));
      assertEquals(0, out.code, out.err);
      String listing = out.out; // one line per file: size, modification time, path
      assertTrue(listing.lines().anyMatch(l -> l.matches("\\s*\\d+  \\d{4}-\\d\\d-\\d\\d \\S+  spec\\.json")), listing);
      assertTrue(out.out.lines().anyMatch(l -> l.strip().startsWith("300000 ") && l.endsWith("  big.bin")), out.out);
      assertTrue(out.out.contains("checkpoints/"), out.out);

      Path downloads = Files.createDirectories(dir.resolve("downloads"));
      out = capture(() -> TroupeCli.run("artifacts", "--server", target, id, "--get", "big.bin", "--out",
          downloads.resolve("copy.bin").toString()));
      assertEquals(0, out.code, out.err);
      assertTrue(out.out.contains("wrote 300000 bytes to " + downloads.resolve("copy.bin")), out.out);
      assertArrayEquals(big, Files.readAllBytes(downloads.resolve("copy.bin")));
      out = capture(() -> TroupeCli.run("artifacts", "--server", target, id, "--get", "spec.json", "--out",
          downloads.toString())); // into a directory: keeps the file name
      assertEquals(0, out.code, out.err);
      assertEquals(Files.readString(folder.resolve("spec.json")), Files.readString(downloads.resolve("spec.json")));

      out = capture(() -> TroupeCli.run("artifacts", "--server", target, id, "--get", "../../secret", "--out",
          downloads.resolve("secret").toString()));
      assertEquals(2, out.code);
      assertTrue(out.err.contains("INVALID_ARGUMENT") && out.err.contains("'..'"), out.err);
      out = capture(() -> TroupeCli.run("artifacts", "--server", target, id, "--get", "nope.txt", "--out",
          downloads.resolve("nope.txt").toString()));
      assertEquals(2, out.code);
      assertTrue(out.err.contains("NOT_FOUND") && out.err.contains("troupe artifacts " + id), out.err);
      try (var left = Files.list(downloads)) {
        assertEquals(List.of("copy.bin", "spec.json"), left.map(p -> p.getFileName().toString()).sorted().toList(),
            "no partial or temporary files are left behind");
      }

      try (TroupeClient client = new TroupeClient(target)) {
        assertEquals(big.length, client.downloadArtifact(id, "big.bin", downloads.resolve("copy.bin")));
        assertTrue(client.listArtifacts(id).stream().anyMatch(a -> a.getPath().equals("big.bin")));
      }
    }
  }

  record Output(int code, String out, String err) {}

  /** Runs with System.out and System.err captured (the commands print there, as a user sees them). */
  static Output capture(java.util.function.IntSupplier command) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = command.getAsInt();
      return new Output(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
