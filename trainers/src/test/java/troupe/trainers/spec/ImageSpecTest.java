package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import troupe.v1.WorkflowSpec;

/** Defaults and submission checks of image workflows (flow_pretrain, flow_grpo). */
class ImageSpecTest {
  private static final String MINIMAL = """
      name: images
      stages:
        - flow_pretrain: {steps: 5}
        - flow_grpo: {group_size: 4}
      """;

  @Test
  void minimalImageWorkflowGetsEveryDefaultAndNoTextFields() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse(MINIMAL));
    assertTrue(SpecDefaults.isImageWorkflow(spec));
    assertEquals(32, spec.getImageModel().getImageSize());
    assertEquals(4, spec.getImageModel().getPatchSize());
    assertEquals(0.15f, spec.getShapes().getHeldOutFraction(), 1e-7);
    assertEquals("composition", spec.getImageReward().getTerms(0).getName());
    assertEquals(1f, spec.getImageReward().getTerms(0).getWeight());
    assertEquals(5, spec.getStages(0).getFlowPretrain().getSteps());
    assertEquals(0.1f, spec.getStages(0).getFlowPretrain().getCondDropout(), 1e-7);
    var grpo = spec.getStages(1).getFlowGrpo();
    assertEquals(4, grpo.getGroupSize());
    assertEquals(0.7f, grpo.getNoiseLevel(), 1e-7);
    assertEquals(10, grpo.getSampleSteps());
    assertEquals(40, grpo.getEvalSteps());
    assertEquals(1e-4f, grpo.getClipRange(), 1e-10);
    assertTrue(grpo.getGlobalStd());
    assertEquals("flow_grpo-2", spec.getStages(1).getName());
    assertFalse(spec.hasModel() || spec.hasTask() || spec.hasReward());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "image_model: {image_size: 30, patch_size: 4}|image_model.image_size: must be divisible by image_model.patch_size (4)",
      "image_model: {d_model: 30, heads: 4}|image_model.d_model: must be divisible by image_model.heads",
      "shapes: {held_out_fraction: 0.9}|shapes.held_out_fraction: must be in (0, 0.5]",
      "shapes: {eval_prompts: 4, grid_prompts: 8}|shapes.grid_prompts: must be <= shapes.eval_prompts",
      "image_reward: {terms: [{name: aesthetic}]}|image_reward.terms[0].name: unknown \"aesthetic\"; allowed: composition",
      "image_reward: {terms: [{name: composition, weight: -1}]}|image_reward.terms[0].weight: must be a finite number >= 0",
      "image_reward: {terms: [{name: composition, weight: 0}]}|image_reward.terms: every weight is 0",
      "image_reward: {terms: [{name: composition}, {name: composition}]}|image_reward.terms[1].name: \"composition\" appears twice",
      "task: {kind: addition}|task: not used by image workflows",
  })
  void badWorkflowFieldsAreNamed(String yaml, String expected) {
    assertRejected(yaml + "\n" + MINIMAL_STAGES, expected);
  }

  private static final String MINIMAL_STAGES = """
      stages:
        - flow_pretrain: {steps: 5}
        - flow_grpo: {group_size: 4}
      """;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "group_size: 1|stages[0].flow_grpo.group_size: must be >= 2",
      "noise_level: 0|stages[0].flow_grpo.noise_level: must be a finite number > 0: with noise_level 0",
      "sample_steps: 50|stages[0].flow_grpo.sample_steps: must be <= eval_steps (40): denoising reduction",
      "timestep_fraction: 0|stages[0].flow_grpo.timestep_fraction: must be in (0, 1]",
      "timestep_fraction: 0.05|stages[0].flow_grpo.timestep_fraction: trains floor(sample_steps * timestep_fraction) = 0",
      "clip_range: 0|stages[0].flow_grpo.clip_range: must be a finite number > 0",
      "updates_per_batch: 9|stages[0].flow_grpo.updates_per_batch: must be <= prompts_per_step (8)",
      "guidance: -1|stages[0].flow_grpo.guidance: must be a finite number >= 0",
  })
  void badFlowGrpoSettingsAreNamed(String setting, String expected) {
    assertRejected("stages:\n  - flow_grpo: {" + setting + "}\n", expected);
  }

  @Test
  void badPretrainSettingsAreNamed() {
    assertRejected("stages:\n  - flow_pretrain: {cond_dropout: 1}\n", "stages[0].flow_pretrain.cond_dropout: must be in [0, 1)");
  }

  @Test
  void mixingTextAndImageStagesIsRejected() {
    assertRejected("stages:\n  - flow_pretrain: {}\n  - sft: {}\n", "stages[1].sft: text stages cannot be mixed");
  }

  @Test
  void textWorkflowsMayNotCarryImageFields() {
    assertRejected("shapes: {eval_prompts: 3}\nstages:\n  - sft: {}\n", "shapes: only image workflows");
  }

  @Test
  void everyProblemIsListedAtOnce() {
    var e = assertThrows(SpecException.class, () -> SpecValidator.resolve(WorkflowYaml.parse("""
        image_model: {image_size: 30}
        stages:
          - flow_grpo: {group_size: 1, noise_level: 0}
        """)));
    assertTrue(e.getMessage().contains("image_model.image_size") && e.getMessage().contains("group_size")
        && e.getMessage().contains("noise_level"), e.getMessage());
  }

  private static void assertRejected(String yaml, String expected) {
    var e = assertThrows(SpecException.class, () -> SpecValidator.resolve(WorkflowYaml.parse(yaml)));
    assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: " + e.getMessage());
  }
}
