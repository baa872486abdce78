package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import troupe.v1.RlConfig;
import troupe.v1.WorkflowSpec;

class RlPresetsTest {
  private static RlConfig resolve(String stage) {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse("stages:\n  - " + stage + "\n"), InputRoots.NONE);
    return RlPresets.config(spec.getStages(0));
  }

  private static void rejected(String stage, String expected) {
    var e = assertThrows(SpecException.class,
        () -> SpecValidator.resolve(WorkflowYaml.parse("stages:\n  - " + stage + "\n"), InputRoots.NONE));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void everyPresetResolvesToItsParts() {
    for (String preset : RlPresets.NAMES) {
      RlConfig c = resolve(preset + ": {}");
      assertFalse(c.getAdvantageEstimator().isEmpty(), preset);
    }
    RlConfig dapo = resolve("dapo: {max_new_tokens: 10}");
    assertEquals(0.2f, dapo.getClipLow());
    assertEquals(0.28f, dapo.getClipHigh());
    assertEquals("dual_clip", dapo.getPolicyLoss());
    assertEquals("none", dapo.getKlPlacement());
    assertTrue(dapo.getDynamicSampling() && dapo.getOverlongFilter());
    assertEquals(2, dapo.getOverlongBuffer()); // a fifth of the budget
    RlConfig ppo = resolve("ppo: {learning_rate: 0.0002}");
    assertEquals("gae", ppo.getAdvantageEstimator());
    assertEquals("policy", ppo.getCriticInit());
    assertEquals(0.002f, ppo.getCriticLearningRate(), 1e-9);
    assertEquals("reward", ppo.getKlPlacement());
    assertEquals("dr_grpo", resolve("dr_grpo: {}").getAdvantageEstimator());
    assertEquals("seq-mean-token-sum-norm", resolve("dr_grpo: {}").getLossAgg());
    assertEquals("gspo", resolve("gspo: {}").getPolicyLoss());
    assertEquals("rloo", resolve("rloo: {}").getAdvantageEstimator());
  }

  @Test
  void anyPartCanBeOverridden() {
    RlConfig c = resolve("dapo: {clip_high: 0.3, dynamic_sampling: false, advantage_estimator: rloo}");
    assertEquals(0.3f, c.getClipHigh());
    assertFalse(c.getDynamicSampling());
    assertEquals("rloo", c.getAdvantageEstimator());
    assertEquals("dual_clip", c.getPolicyLoss()); // the rest stays the preset's
  }

  @Test
  void unknownPartNamesListTheAllowedOnes() {
    rejected("grpo: {advantage_estimator: ppo}", "stages[0].grpo.advantage_estimator: unknown \"ppo\"; allowed: "
        + "grpo, dr_grpo, rloo, reinforce_pp, reinforce_pp_baseline, gae");
    rejected("grpo: {policy_loss: clip}", "stages[0].grpo.policy_loss: unknown \"clip\"; allowed: ppo_clip, "
        + "dual_clip, gspo");
    rejected("grpo: {loss_agg: mean}", "stages[0].grpo.loss_agg: unknown \"mean\"; allowed: token-mean");
    rejected("grpo: {kl_estimator: k4}", "stages[0].grpo.kl_estimator: unknown \"k4\"; allowed: k1, k2, k3");
    rejected("grpo: {kl_placement: both}", "allowed: loss, reward, none");
    rejected("grpo: {kl_controller: pid}", "allowed: fixed, adaptive");
  }

  @Test
  void inconsistentValuesAreRejectedWithTheirPaths() {
    rejected("dapo: {clip_high: 0.1}", "stages[0].dapo.clip_high: must be >= clip_low (0.2), got 0.1");
    rejected("ppo: {gamma: 1.5}", "stages[0].ppo.gamma: must be in [0.0, 1.0], got 1.5");
    rejected("ppo: {gae_lambda: -0.1}", "stages[0].ppo.gae_lambda: must be in [0.0, 1.0]");
    rejected("ppo: {critic_init: none}", "stages[0].ppo.critic_init: advantage_estimator gae needs a critic");
    rejected("grpo: {critic_init: policy}", "stages[0].grpo.critic_init: advantage_estimator grpo uses no critic");
    rejected("dapo: {max_generation_rounds: 0}", "stages[0].dapo.max_generation_rounds: must be >= 1, got 0");
    rejected("gspo: {loss_agg: token-mean}", "stages[0].gspo.loss_agg: policy_loss gspo averages over sequences");
    rejected("grpo: {kl_estimator: k1}", "stages[0].grpo.kl_estimator: k1 as a loss term has zero expected");
    rejected("dapo: {kl_beta: 0.1}", "stages[0].dapo.kl_beta: must be 0 with kl_placement none");
    rejected("grpo: {group_size: 1}", "stages[0].grpo.group_size: must be >= 2");
    rejected("dapo: {max_new_tokens: 6, overlong_buffer: 6}", "stages[0].dapo.overlong_buffer: must be in [0, "
        + "max_new_tokens 6)");
    rejected("dual: {}", "unknown field");
  }

  @Test
  void evalAndPreferenceStagesGetDefaultsAndChecks() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse(
        "stages:\n  - eval: {samples_per_prompt: 4}\n  - name: gen\n    generate_preferences: {prompts: 10}\n"),
        InputRoots.NONE);
    assertEquals(List.of(1, 4), spec.getStages(0).getEval().getKList());
    assertEquals("preferences-gen.jsonl", spec.getStages(1).getGeneratePreferences().getOutput());
    rejected("eval: {samples_per_prompt: 4, k: [8]}", "stages[0].eval.k[0]: must be in [1, samples_per_prompt 4]");
    rejected("generate_preferences: {samples_per_prompt: 1}", "stages[0].generate_preferences.samples_per_prompt: "
        + "must be >= 2");
    rejected("generate_preferences: {output: ../../etc/x.jsonl}", "stages[0].generate_preferences.output: must be a "
        + "plain file name ending in .jsonl");
  }
}
