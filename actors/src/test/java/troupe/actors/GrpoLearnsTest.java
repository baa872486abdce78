package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;

/** End to end on a tiny model: after a short SFT, GRPO raises the mean reward of its own samples. */
class GrpoLearnsTest {
  @Test
  void grpoRaisesMeanReward(@TempDir Path dir) throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir))) {
      var spec = Workflows.tiny("""
          stages:
            - sft: {steps: 200, batch_size: 32, learning_rate: 0.003}
            - grpo: {steps: 60, prompts_per_step: 16, group_size: 8, learning_rate: 0.0005, kl_beta: 0.01,
                     warmup_steps: 0, max_new_tokens: 6}
          """);
      spec = spec.toBuilder().setModel(spec.getModel().toBuilder().setLayers(2).setDModel(64).setDFf(128))
          .setTask(spec.getTask().toBuilder().setLabelledSize(300)).build();
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofMinutes(3));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + Workflows.last(events));
      List<StepMetrics> grpo = events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep)
          .filter(s -> s.getStageIndex() == 1).toList();
      double first = grpo.subList(0, 8).stream().mapToDouble(StepMetrics::getRewardMean).average().orElseThrow();
      double last = grpo.subList(grpo.size() - 8, grpo.size()).stream().mapToDouble(StepMetrics::getRewardMean)
          .average().orElseThrow();
      System.out.printf("GRPO mean reward: first 8 steps %.3f, last 8 steps %.3f%n", first, last);
      assertTrue(last > first + 0.1, "mean reward first 8 steps " + first + ", last 8 steps " + last);
    }
  }
}
