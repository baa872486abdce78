package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.LoopState;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * generate_preferences keeps no copy of its output in a resume point, only the length and SHA-256 of what it wrote
 * so far. A partial file that no longer matches its point makes the stage start over with a warning, and the output
 * still comes out as an uninterrupted run's.
 */
class GeneratePreferencesResumeTest {
  /** 20 steps of 64 prompts after a short SFT, so that some prompts give pairs; the node is stopped after step 6. */
  private static final WorkflowSpec SPEC = ResumeTest.withResumeEvery(Workflows.tiny("""
      stages:
        - sft: {steps: 120, batch_size: 32, learning_rate: 0.006}
        - name: gen
          generate_preferences: {prompts: 1280, samples_per_prompt: 2}
      """), 5);
  private static final String PARTIAL = "preferences-gen.jsonl.partial";

  @Test
  @Timeout(120)
  void aResumePointRecordsTheOutputsLengthAndDigestInsteadOfACopy(@TempDir Path dir) throws Exception {
    Path folder = ResumeTest.runUntilStopped(NodeConfig.embedded(dir), SPEC, 1, 6);
    Path point = folder.resolve(ResumeTest.newestNamedPoint(folder));
    assertTrue(point.getFileName().toString().matches("stage-1-step-[1-9][0-9]*"), point.toString());
    try (Stream<Path> files = Files.list(point)) {
      assertEquals(Set.of("model.safetensors", "optimizer.safetensors", ResumePoints.LOOP, ResumePoints.MANIFEST),
          files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()));
    }
    LoopState loop = ResumePoints.verify(point);
    assertTrue(loop.getOutputBytes() > 0, loop::toString);
    byte[] partial = Files.readAllBytes(folder.resolve(PARTIAL));
    assertTrue(partial.length >= loop.getOutputBytes(), () -> partial.length + " < " + loop.getOutputBytes());
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(partial, (int) loop.getOutputBytes())),
        loop.getOutputSha256().toByteArray());
  }

  @Test
  @Timeout(240)
  void aDamagedPartialFileStartsTheStageOverWithAWarning(@TempDir Path dir) throws Exception {
    List<WorkflowEvent> straight;
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir.resolve("straight")))) {
      straight = Workflows.run(node, SPEC, Duration.ofSeconds(120));
    }
    assertTrue(Workflows.last(straight).hasCompleted(), () -> "events: " + straight);

    Path folder = ResumeTest.runUntilStopped(NodeConfig.embedded(dir.resolve("stopped")), SPEC, 1, 6);
    LoopState point = ResumePoints.verify(folder.resolve(ResumeTest.newestNamedPoint(folder)));
    Path partial = folder.resolve(PARTIAL);
    byte[] bytes = Files.readAllBytes(partial);
    bytes[(int) point.getOutputBytes() / 2] ^= 0x01; // within the part the point vouches for
    Files.write(partial, bytes);

    List<WorkflowEvent> resumed;
    try (TroupeNode restarted = TroupeNode.start(NodeConfig.embedded(dir.resolve("stopped")))) {
      resumed = Workflows.watch(restarted, folder.getFileName().toString(), Duration.ofSeconds(120));
    }
    assertTrue(Workflows.last(resumed).hasCompleted(), () -> "events: " + resumed);
    int warning = IntStream.range(0, resumed.size()).filter(i -> resumed.get(i).hasNotice()
        && resumed.get(i).getNotice().getText().contains(PARTIAL + " differs from the point")
        && resumed.get(i).getNotice().getText().contains("runs again from its start")).findFirst()
        .orElseThrow(() -> new AssertionError("no warning naming " + PARTIAL + "; events: " + resumed));
    int total = ResumeTest.steps(straight, 1).size();
    assertEquals(IntStream.rangeClosed(1, total).boxed().toList(), ResumeTest.steps(resumed.subList(warning,
        resumed.size()), 1).stream().map(StepMetrics::getStep).toList());
    try (Stream<Path> workflows = Files.list(dir.resolve("straight").resolve("workflows"))) {
      assertArrayEquals(Files.readAllBytes(workflows.findFirst().orElseThrow().resolve("preferences-gen.jsonl")),
          Files.readAllBytes(folder.resolve("preferences-gen.jsonl")));
    }
  }
}
