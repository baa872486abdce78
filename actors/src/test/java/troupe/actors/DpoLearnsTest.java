package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;

/** SFT, then preference pairs from the policy itself, then DPO on them: chosen-over-rejected accuracy rises. */
class DpoLearnsTest {
  @Test
  void dpoRaisesPreferenceAccuracyOnSelfGeneratedPairs(@TempDir Path dir) throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir))) {
      var spec = Workflows.small("""
          stages:
            - sft: {steps: 200, batch_size: 32, learning_rate: 0.003}
            - name: gen
              generate_preferences: {prompts: 192, samples_per_prompt: 4}
            - dpo: {train_file: preferences-gen.jsonl, steps: 40, batch_size: 16, learning_rate: 0.0005,
                    warmup_steps: 0, eval_fraction: 0.2}
          """);
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofMinutes(3));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + Workflows.last(events));
      List<StepMetrics> dpo = events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep)
          .filter(s -> s.getStageIndex() == 2).toList();
      double first = dpo.subList(0, 5).stream().mapToDouble(s -> s.getPreference().getAccuracy()).average()
          .orElseThrow();
      double last = dpo.subList(dpo.size() - 5, dpo.size()).stream()
          .mapToDouble(s -> s.getPreference().getAccuracy()).average().orElseThrow();
      double heldOut = dpo.get(dpo.size() - 1).getPreferenceEval().getAccuracy();
      System.out.printf("DPO preference accuracy: first 5 steps %.3f, last 5 steps %.3f, held-out pairs %.3f%n",
          first, last, heldOut);
      assertTrue(last > first + 0.2, "train pairs: first " + first + ", last " + last);
      assertTrue(heldOut > 0.6, "held-out pair accuracy " + heldOut);
    }
  }

  @Test
  void ktoOnUnpairedExamplesSeparatesDesirableFromUndesirable(@TempDir Path dir) throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir))) {
      var spec = Workflows.small("""
          stages:
            - sft: {steps: 200, batch_size: 32, learning_rate: 0.003}
            - name: gen
              generate_preferences: {prompts: 192, samples_per_prompt: 4}
            - dpo: {train_file: preferences-gen.jsonl, loss_type: kto, steps: 40, batch_size: 16,
                    learning_rate: 0.0005, warmup_steps: 0, eval_fraction: 0.2}
          """);
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofMinutes(3));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + Workflows.last(events));
      List<StepMetrics> kto = events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep)
          .filter(s -> s.getStageIndex() == 2).toList();
      double margin = kto.get(kto.size() - 1).getPreferenceEval().getMargin();
      System.out.printf("KTO held-out reward margin (desirable - undesirable): %.3f%n", margin);
      assertTrue(margin > 0, "held-out margin " + margin);
    }
  }
}
