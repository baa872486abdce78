package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * End to end on a tiny model, through the actors: after a short SFT, GRPO, PPO (with its critic) and DAPO (with
 * dynamic sampling) each raise how often their own samples are right.
 */
class RlLearnsTest {
  private static final String SFT = "  - sft: {steps: 200, batch_size: 32, learning_rate: 0.003}\n";

  @Test
  void grpoRaisesMeanReward(@TempDir Path dir) throws Exception {
    List<StepMetrics> steps = run(dir, """
          - grpo: {steps: 60, prompts_per_step: 16, group_size: 8, learning_rate: 0.0005, kl_beta: 0.01,
                   warmup_steps: 0, max_new_tokens: 6}
        """);
    assertRises("GRPO mean reward", steps, StepMetrics::getRewardMean);
  }

  @Test
  void ppoRaisesMeanRewardAndItsCriticExplainsTheReturns(@TempDir Path dir) throws Exception {
    List<StepMetrics> steps = run(dir, """
          - ppo: {steps: 60, prompts_per_step: 16, group_size: 8, learning_rate: 0.0005, kl_beta: 0.01,
                  warmup_steps: 0, max_new_tokens: 6}
        """);
    assertRises("PPO mean reward", steps, StepMetrics::getRewardMean);
    double ev = steps.subList(steps.size() - 8, steps.size()).stream()
        .mapToDouble(StepMetrics::getExplainedVariance).average().orElseThrow();
    System.out.printf("PPO explained variance, last 8 steps: %.3f%n", ev);
    assertTrue(ev > 0, "explained variance " + ev);
  }

  @Test
  void dapoRaisesAccuracyWithDynamicSampling(@TempDir Path dir) throws Exception {
    List<StepMetrics> steps = run(dir, """
          - dapo: {steps: 60, prompts_per_step: 16, group_size: 8, learning_rate: 0.0005, warmup_steps: 0,
                   max_new_tokens: 6, overlong_buffer: 1}
        """);
    // The trained batch holds only mixed groups, so its reward says little; the accuracy is over every sample.
    assertRises("DAPO accuracy", steps, StepMetrics::getAccuracy);
    assertTrue(steps.stream().allMatch(s -> s.getSamplingRounds() >= 1));
    assertTrue(steps.stream().allMatch(s -> s.getZeroStdFraction() == 0), "dynamic sampling kept a flat group");
  }

  private static List<StepMetrics> run(Path dir, String rlStage) throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir))) {
      var spec = Workflows.small("stages:\n" + SFT + rlStage);
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofMinutes(4));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + Workflows.last(events));
      return events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep)
          .filter(s -> s.getStageIndex() == 1).toList();
    }
  }

  /** The mean of the last 8 steps beats the first 8 by more than 0.1. */
  private static void assertRises(String what, List<StepMetrics> steps, ToDoubleFunction<StepMetrics> metric) {
    double first = steps.subList(0, 8).stream().mapToDouble(metric).average().orElseThrow();
    double last = steps.subList(steps.size() - 8, steps.size()).stream().mapToDouble(metric).average().orElseThrow();
    System.out.printf("%s: first 8 steps %.3f, last 8 steps %.3f%n", what, first, last);
    assertTrue(last > first + 0.1, what + ": first 8 steps " + first + ", last 8 steps " + last);
  }
}
