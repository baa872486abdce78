package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * A server stopped in the middle of each kind of text stage and started again on the same data folder: the stage
 * goes on from a resume point past its start, runs each step once, and ends with the metrics and evaluations of a
 * run that was never stopped. Resume points come every 5 steps and the node is stopped after step 6; a stage ends at
 * its next step once its node stops, so it is far from done when it goes down.
 */
class MidStageResumeTest {
  /** Metrics that depend on the weights, the optimizer, the critic and the data order, compared to 1e-6. */
  private static final Map<String, ToDoubleFunction<StepMetrics>> METRICS = Map.of(
      "loss", StepMetrics::getLoss,
      "reward_mean", StepMetrics::getRewardMean,
      "value_loss", StepMetrics::getValueLoss,
      "grad_norm", StepMetrics::getGradNorm,
      "preference accuracy", s -> s.getPreference().getAccuracy(),
      "preference margin", s -> s.getPreference().getMargin(),
      "held-out preference accuracy", s -> s.getPreferenceEval().getAccuracy(),
      "held-out preference margin", s -> s.getPreferenceEval().getMargin());

  @Test
  void sftOnTheLabelledSetGoesOnInTheSameShuffledOrder(@TempDir Path dir) throws Exception {
    // 64 examples in batches of 8: epochs end every 8 steps, also between the point and the stop
    assertResumesMidStage(dir, Workflows.tiny("""
        stages:
          - sft: {steps: 40, batch_size: 8}
        """), 0);
  }

  @Test
  void sftOnAFileGoesOnAtItsCursor(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sft.jsonl");
    List<String> lines = new ArrayList<>();
    for (String digits : numbers(20)) {
      lines.add("{\"prompt\": \"rev " + digits + "=\", \"completion\": \"" + reverse(digits) + "\"}");
    }
    Files.write(file, lines);
    // 20 records in batches of 6: epochs end inside batches
    assertResumesMidStage(dir, Workflows.tiny("stages:\n  - sft: {steps: 40, batch_size: 6, train_file: \"" + file
        + "\"}\n"), 0);
  }

  @Test
  void ppoGoesOnWithItsCriticAsItWas(@TempDir Path dir) throws Exception {
    // Scored by a reward model trained for a few steps (an untrained policy is never exactly right; the model's
    // scores still vary), so the critic learns. ppo's critic_init is policy: the policy as the stage began.
    assertResumesMidStage(dir, Workflows.tiny("stages:\n  - reward_model: {steps: 10, batch_size: 4, train_file: \""
        + pairsFile(dir) + "\", output: rm.safetensors}\n  - ppo: {steps: 30, prompts_per_step: 2, group_size: 4, "
        + "max_new_tokens: 6, reward: {kind: model, checkpoint: rm.safetensors}}\n"), 1);
  }

  @Test
  void dpoGoesOnWithItsReferenceAndDataCursor(@TempDir Path dir) throws Exception {
    assertResumesMidStage(dir, Workflows.tiny("stages:\n  - dpo: {steps: 40, batch_size: 4, eval_fraction: 0.25, "
        + "train_file: \"" + pairsFile(dir) + "\"}\n"), 0);
  }

  @Test
  void rewardModelGoesOnWithItsWeightsAndOptimizer(@TempDir Path dir) throws Exception {
    assertResumesMidStage(dir, Workflows.tiny("stages:\n  - reward_model: {steps: 40, batch_size: 4, "
        + "eval_fraction: 0.25, train_file: \"" + pairsFile(dir) + "\"}\n"), 0);
  }

  @Test
  void generatePreferencesGoesOnAndWritesTheSameFile(@TempDir Path dir) throws Exception {
    // 40 steps of 64 prompts; after a short SFT some samples are right and some wrong, so some prompts give pairs
    Path[] folders = assertResumesMidStage(dir, Workflows.tiny("""
        stages:
          - sft: {steps: 60, batch_size: 32, learning_rate: 0.003}
          - name: gen
            generate_preferences: {prompts: 2560, samples_per_prompt: 2}
        """), 1);
    byte[] pairs = Files.readAllBytes(folders[0].resolve("preferences-gen.jsonl"));
    assertTrue(pairs.length > 0);
    assertArrayEquals(pairs, Files.readAllBytes(folders[1].resolve("preferences-gen.jsonl")));
  }

  /**
   * Runs the spec once uninterrupted, then again with the node stopped after step 6 of stage {@code stageIndex} and
   * a new node started on the same folder; checks that the stage resumed from a point past its start, ran steps
   * 1..total once each, and matched the uninterrupted run. Returns the uninterrupted and the resumed workflow's
   * folders.
   */
  /** A node with its data in dir/name that may read the input files the cases write into dir. */
  private static NodeConfig node(Path dir, String name) {
    return NodeConfig.embedded(dir.resolve(name)).withInputDirs(List.of(dir));
  }

  private static Path[] assertResumesMidStage(Path dir, WorkflowSpec spec, int stageIndex) throws Exception {
    WorkflowSpec resumable = ResumeTest.withResumeEvery(spec, 5);
    List<WorkflowEvent> straight;
    try (TroupeNode node = TroupeNode.start(node(dir, "straight"))) {
      straight = Workflows.run(node, resumable, Duration.ofSeconds(120));
    }
    assertTrue(Workflows.last(straight).hasCompleted(), () -> "events: " + straight);

    Path folder = ResumeTest.runUntilStopped(node(dir, "stopped"), resumable, stageIndex, 6);
    String newest = ResumeTest.newestNamedPoint(folder);
    assertTrue(newest.matches("resume/stage-" + stageIndex + "-step-[1-9][0-9]*"), newest);
    List<WorkflowEvent> resumed;
    try (TroupeNode restarted = TroupeNode.start(node(dir, "stopped"))) {
      resumed = Workflows.watch(restarted, folder.getFileName().toString(), Duration.ofSeconds(120));
    }
    assertTrue(Workflows.last(resumed).hasCompleted(), () -> "events: " + resumed);
    assertTrue(resumed.stream().anyMatch(e -> e.hasNotice()
        && e.getNotice().getText().contains("resuming from " + newest + " ")), () -> "events: " + resumed);

    List<StepMetrics> a = ResumeTest.steps(straight, stageIndex);
    List<StepMetrics> b = ResumeTest.steps(resumed, stageIndex);
    int total = a.get(0).getTotalSteps();
    assertEquals(IntStream.rangeClosed(1, total).boxed().toList(), b.stream().map(StepMetrics::getStep).toList());
    assertEquals(total, a.size());
    for (int i = 0; i < total; i++) {
      for (Map.Entry<String, ToDoubleFunction<StepMetrics>> m : METRICS.entrySet()) {
        assertEquals(m.getValue().applyAsDouble(a.get(i)), m.getValue().applyAsDouble(b.get(i)), 1e-6,
            m.getKey() + " at step " + (i + 1));
      }
    }
    assertEquals(evaluations(straight), evaluations(resumed));
    try (Stream<Path> workflows = Files.list(dir.resolve("straight").resolve("workflows"))) {
      return new Path[] {workflows.findFirst().orElseThrow(), folder};
    }
  }

  /** Every evaluation as "stage/step: accuracy", so one emitted twice or at another step shows. */
  private static List<String> evaluations(List<WorkflowEvent> events) {
    return events.stream().filter(WorkflowEvent::hasEval)
        .map(e -> e.getEval().getStageIndex() + "/" + e.getEval().getStep() + ": " + e.getEval().getAccuracy())
        .toList();
  }

  /** 16 chosen/rejected pairs of the reverse task: the right answer against it with a digit too many. */
  static Path pairsFile(Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String digits : numbers(16)) {
      String right = reverse(digits);
      String wrong = right + "9";
      lines.add("{\"prompt\": \"rev " + digits + "=\", \"chosen\": \"" + right + "\", \"rejected\": \"" + wrong
          + "\"}");
    }
    Path file = dir.resolve("pairs.jsonl");
    Files.write(file, lines);
    return file;
  }

  private static List<String> numbers(int count) {
    Random r = new Random(3);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Integer.toString(100 + r.nextInt(9900)));
    }
    return out;
  }

  private static String reverse(String s) {
    return new StringBuilder(s).reverse().toString();
  }
}
