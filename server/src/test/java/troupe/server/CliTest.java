package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
