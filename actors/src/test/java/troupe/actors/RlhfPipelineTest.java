package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;

/** SFT -> preference pairs -> reward model -> PPO scored by that reward model, as one workflow. */
class RlhfPipelineTest {
  @Test
  void aTrainedRewardModelRanksHeldOutPairsAndScoresPpo(@TempDir Path dir) throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir))) {
      var spec = Workflows.small("""
          stages:
            - sft: {steps: 200, batch_size: 32, learning_rate: 0.003}
            - name: gen
              generate_preferences: {prompts: 256, samples_per_prompt: 4}
            - name: rm
              reward_model: {train_file: preferences-gen.jsonl, steps: 60, batch_size: 32, learning_rate: 0.001,
                             eval_fraction: 0.2}
            - ppo: {steps: 20, prompts_per_step: 16, group_size: 4, learning_rate: 0.0005, warmup_steps: 0,
                    max_new_tokens: 6, reward: {kind: model, checkpoint: reward-model-rm.safetensors}}
          """);
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofMinutes(4));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + Workflows.last(events));
      List<StepMetrics> rm = steps(events, 2);
      double pairAccuracy = rm.get(rm.size() - 1).getPreferenceEval().getAccuracy();
      System.out.printf("reward model: held-out pair accuracy %.3f%n", pairAccuracy);
      assertTrue(pairAccuracy > 0.7, "held-out pair accuracy " + pairAccuracy);
      // PPO's rewards are the model's scores: a mean of 64 verifier 0/1 rewards would be a multiple of 1/64
      List<StepMetrics> ppo = steps(events, 3);
      assertTrue(ppo.stream().map(s -> s.getRewardMean() * 64).allMatch(x -> Math.abs(x - Math.rint(x)) > 1e-6),
          "rewards look like 0/1 verifier scores: " + ppo.get(0));
    }
  }

  private static List<StepMetrics> steps(List<WorkflowEvent> events, int stage) {
    return events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep)
        .filter(s -> s.getStageIndex() == stage).toList();
  }
}
