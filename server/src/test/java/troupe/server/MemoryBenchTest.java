package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `troupe bench-memory` without its child JVMs: naming the cases and reading what a child printed. */
class MemoryBenchTest {
  @Test
  void anUnknownCaseFailsBeforeAnyChildRuns(@TempDir Path dir) {
    CliTest.Output o = CliTest.capture(() -> TroupeCli.run("bench-memory", "--cases", "sft-b8-len32,sft-b9",
        "--out", dir.toString()));
    assertEquals(1, o.code());
    assertTrue(o.err().contains("no bench-memory case \"sft-b9\"; the cases are [sft-b8-len32,"), o.err());
    assertFalse(Files.exists(dir.resolve("sft-b8-len32.log")));
  }

  @Test
  void theChildsLineGivesThePeakAboveTheBaseline() throws IOException {
    String output = "10:02:13.012 WARN  a.d.util.cuda.CudaUtils - Failed to detect GPU count\n"
        + "bench-memory-child rss_before=1000 peak=5096\n";
    assertEquals(4096, MemoryBench.peakGrowth(output, "sft-b8-len32", Path.of("sft-b8-len32.log")));
    IOException e = assertThrows(IOException.class, () -> MemoryBench.peakGrowth("Exception in thread \"main\"",
        "sft-b8-len32", Path.of("sft-b8-len32.log")));
    assertEquals("sft-b8-len32 printed no measurement; see sft-b8-len32.log", e.getMessage());
  }
}
