package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static troupe.trainers.spec.SpecProblems.assertContains;
import static troupe.trainers.spec.SpecProblems.message;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import troupe.v1.FlowGrpoConfig;
import troupe.v1.FlowPretrainConfig;
import troupe.v1.ImageModelSpec;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowSpec;

/** Defaults and submission checks of image workflows (flow_pretrain, flow_grpo). */
class ImageSpecTest {
  private static final String MINIMAL_STAGES = """
      stages:
        - flow_pretrain: {steps: 5}
        - flow_grpo: {group_size: 4}
      """;
  private static final String MINIMAL = "name: images\n" + MINIMAL_STAGES;

  @Test
  void minimalImageWorkflowGetsEveryDefaultAndNoTextFields() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse(MINIMAL), InputRoots.NONE);
    assertTrue(SpecDefaults.isImageWorkflow(spec));
    assertFalse(spec.hasModel() || spec.hasTask() || spec.hasReward());

    ImageModelSpec m = spec.getImageModel();
    assertEquals(List.of(32, 4, 4, 64, 4, 256, 1), List.of(m.getImageSize(), m.getPatchSize(), m.getLayers(),
        m.getDModel(), m.getHeads(), m.getDFf(), m.getPromptLayers()));
    assertEquals(1f, m.getTimeShift());
    assertEquals("", m.getInitCheckpoint());

    var shapes = spec.getShapes();
    assertEquals(0.15f, shapes.getHeldOutFraction(), 1e-7);
    assertEquals(List.of(48, 2, 8, 4), List.of(shapes.getEvalPrompts(), shapes.getEvalSamplesPerPrompt(),
        shapes.getGridPrompts(), shapes.getGridSamplesPerPrompt()));

    var reward = spec.getImageReward();
    assertEquals(1, reward.getTermsCount());
    assertEquals("composition", reward.getTerms(0).getName());
    assertEquals(1f, reward.getTerms(0).getWeight());
    assertEquals(0.25f, reward.getMaxFailedFraction(), 1e-7);

    assertEquals("flow_pretrain-1", spec.getStages(0).getName());
    FlowPretrainConfig p = spec.getStages(0).getFlowPretrain();
    assertEquals(List.of(5, 64, 50, 40, 0), List.of(p.getSteps(), p.getBatchSize(), p.getWarmupSteps(),
        p.getEvalSteps(), p.getEvalEverySteps()));
    assertEquals(List.of(1e-3f, 1f, 0f, 0.1f, 3f, 0f), List.of(p.getLearningRate(), p.getMaxGradNorm(),
        p.getWeightDecay(), p.getCondDropout(), p.getGuidance(), p.getMaxSeconds()));

    assertEquals("flow_grpo-2", spec.getStages(1).getName());
    FlowGrpoConfig g = spec.getStages(1).getFlowGrpo();
    assertEquals(List.of(100, 8, 4, 10, 40, 2, 0, 0), List.of(g.getSteps(), g.getPromptsPerStep(), g.getGroupSize(),
        g.getSampleSteps(), g.getEvalSteps(), g.getUpdatesPerBatch(), g.getWarmupSteps(), g.getEvalEverySteps()));
    assertEquals(List.of(1e-4f, 0.7f, 0.99f, 3f, 1e-4f, 5f, 0.04f, 1f, 1e-4f, 1e-4f, 0f),
        List.of(g.getLearningRate(), g.getNoiseLevel(), g.getTimestepFraction(), g.getGuidance(), g.getClipRange(),
            g.getAdvClipMax(), g.getKlBeta(), g.getMaxGradNorm(), g.getWeightDecay(), g.getStdEps(),
            g.getMaxSeconds()));
    assertTrue(g.getGlobalStd());

    assertEquals(10, spec.getEval().getEverySteps());
    assertEquals(4, spec.getEval().getSamplesShown());
    assertEquals("cpu", spec.getRuntime().getDevice());
    assertEquals(120, spec.getRuntime().getAskTimeoutSeconds());
    assertEquals(SpecDefaults.SEED, spec.getSeed());
  }

  @Test
  void everyOptionalFieldOfAnImageWorkflowIsFilled() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse(MINIMAL), InputRoots.NONE);
    List<String> unset = new ArrayList<>();
    collectUnset(spec, "", List.of("model", "task", "reward"), unset);
    assertEquals(List.of(), unset);
  }

  @Test
  void userValuesAreKeptAndDependentDefaultsFollowThem() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse("""
        image_model: {d_model: 32}
        image_reward: {terms: [{name: composition_strict}, {name: jpeg_compressibility, weight: 0.5}]}
        stages:
          - flow_grpo: {global_std: false, noise_level: 0.5}
          - flow_grpo: {sde_window_size: 3, sample_steps: 12}
        """), InputRoots.NONE);
    assertEquals(128, spec.getImageModel().getDFf());
    assertEquals(1f, spec.getImageReward().getTerms(0).getWeight());
    assertEquals(0.5f, spec.getImageReward().getTerms(1).getWeight());
    assertFalse(spec.getStages(0).getFlowGrpo().getGlobalStd());
    assertEquals(0.5f, spec.getStages(0).getFlowGrpo().getNoiseLevel());
    assertEquals("flow_grpo-1", spec.getStages(0).getName());
    assertEquals(0, spec.getStages(0).getFlowGrpo().getSdeWindowSize());
    assertEquals(6, spec.getStages(1).getFlowGrpo().getSdeWindowEnd()); // the first half of the steps
  }

  @Test
  void anEmptyTermListGetsTheCompositionTerm() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse("image_reward: {terms: []}\n" + MINIMAL_STAGES),
        InputRoots.NONE);
    assertEquals("composition", spec.getImageReward().getTerms(0).getName());
  }

  @Test
  void textWorkflowsResolveAsBefore() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse("stages:\n  - sft: {}\n  - grpo: {}\n"),
        InputRoots.NONE);
    assertFalse(SpecDefaults.isImageWorkflow(spec));
    assertFalse(spec.hasImageModel() || spec.hasShapes() || spec.hasImageReward());
    var m = spec.getModel();
    assertEquals(List.of(2, 128, 4, 512, 32), List.of(m.getLayers(), m.getDModel(), m.getHeads(), m.getDFf(),
        m.getMaxSeqLen()));
    var t = spec.getTask();
    assertEquals("addition", t.getKind());
    assertEquals(List.of(1, 2, 256, 200), List.of(t.getMinDigits(), t.getMaxDigits(), t.getLabelledSize(),
        t.getEvalSize()));
    assertEquals("exact_match", spec.getReward().getKind());
    assertEquals(1f, spec.getReward().getCorrect());
    assertEquals(0f, spec.getReward().getWrong());
    assertEquals("sft-1", spec.getStages(0).getName());
    assertEquals("grpo-2", spec.getStages(1).getName());
    var sft = spec.getStages(0).getSft();
    assertEquals(List.of(200, 32, 0), List.of(sft.getSteps(), sft.getBatchSize(), sft.getWarmupSteps()));
    assertEquals(List.of(1e-3f, 1f, 0f, 0f), List.of(sft.getLearningRate(), sft.getMaxGradNorm(),
        sft.getWeightDecay(), sft.getMaxSeconds()));
    var g = spec.getStages(1).getGrpo();
    assertEquals(List.of(100, 16, 16, 1, 6, 10), List.of(g.getSteps(), g.getPromptsPerStep(), g.getGroupSize(),
        g.getUpdatesPerBatch(), g.getMaxNewTokens(), g.getWarmupSteps()));
    assertEquals(List.of(1e-4f, 0.2f, 0.2f, 0.02f, 1f, 1f, 1f, 1e-4f, 0f), List.of(g.getLearningRate(),
        g.getClipLow(), g.getClipHigh(), g.getKlBeta(), g.getTemperature(), g.getTopP(), g.getMaxGradNorm(),
        g.getStdEps(), g.getMaxSeconds()));
    assertEquals("token-mean", g.getLossAgg());
    assertEquals(List.of(10, 4), List.of(spec.getEval().getEverySteps(), spec.getEval().getSamplesShown()));
    var r = spec.getRuntime();
    assertEquals("cpu", r.getDevice());
    assertEquals(List.of(120, 30, 0), List.of(r.getAskTimeoutSeconds(), r.getWorkerWaitSeconds(),
        r.getCheckpointEverySteps()));
    assertEquals(SpecDefaults.SEED, spec.getSeed());
    List<String> unset = new ArrayList<>();
    // an RL stage's reward is an optional override: absent means the workflow's reward
    collectUnset(spec, "", List.of("image_model", "shapes", "image_reward", "stages[1].grpo.reward"), unset);
    assertEquals(List.of(), unset);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "image_model: {image_size: 4, patch_size: 2}|image_model.image_size: must be >= 8, got 4",
      "image_model: {patch_size: 0}|image_model.patch_size: must be >= 1, got 0",
      "image_model: {image_size: 32, patch_size: 5}|image_model.image_size: must be divisible by image_model.patch_size (5), got 32",
      "image_model: {layers: 0}|image_model.layers: must be >= 1, got 0",
      "image_model: {d_model: 4}|image_model.d_model: must be >= 8, got 4",
      "image_model: {heads: 0}|image_model.heads: must be >= 1, got 0",
      "image_model: {d_model: 30, heads: 4}|image_model.d_model: must be divisible by image_model.heads (4), got 30",
      "image_model: {d_ff: 0}|image_model.d_ff: must be >= 1, got 0",
      "image_model: {prompt_layers: -1}|image_model.prompt_layers: must be >= 0, got -1",
      "image_model: {time_shift: 0}|image_model.time_shift: must be a finite number > 0",
      "image_model: {init_checkpoint: /no/such/dit.safetensors}|image_model.init_checkpoint: \"/no/such/dit.safetensors\" is outside the folders the server reads input files from (none)",
      "shapes: {held_out_fraction: 0}|shapes.held_out_fraction: must be in (0, 0.5]",
      "shapes: {held_out_fraction: 0.9}|shapes.held_out_fraction: must be in (0, 0.5]",
      "shapes: {eval_prompts: 0, grid_prompts: 0}|shapes.eval_prompts: must be >= 1, got 0",
      "shapes: {eval_samples_per_prompt: 0}|shapes.eval_samples_per_prompt: must be >= 1, got 0",
      "shapes: {grid_prompts: -1}|shapes.grid_prompts: must be >= 0, got -1",
      "shapes: {eval_prompts: 4, grid_prompts: 8}|shapes.grid_prompts: must be <= shapes.eval_prompts (4), got 8",
      "shapes: {grid_samples_per_prompt: 0}|shapes.grid_samples_per_prompt: must be >= 1, got 0",
      "image_reward: {terms: [{name: aesthetic}]}|image_reward.terms[0].name: unknown \"aesthetic\"; allowed: composition, composition_strict, jpeg_compressibility",
      "image_reward: {terms: [{name: composition}, {name: composition}]}|image_reward.terms[1].name: \"composition\" appears twice",
      "image_reward: {terms: [{name: composition, weight: -1}]}|image_reward.terms[0].weight: must be a finite number >= 0",
      "image_reward: {terms: [{name: composition, weight: 1}, {name: composition_strict, weight: -0.5}]}|image_reward.terms[1].weight: must be a finite number >= 0",
      "image_reward: {terms: [{name: composition, weight: 0}]}|image_reward.terms: every weight is 0; at least one must be > 0",
      "image_reward: {max_failed_fraction: 1.5}|image_reward.max_failed_fraction: must be in [0.0, 1.0], got 1.5",
      "image_reward: {max_failed_fraction: -0.1}|image_reward.max_failed_fraction: must be in [0.0, 1.0]",
      "model: {layers: 2}|model: not used by image workflows; the network is configured under image_model",
      "task: {kind: addition}|task: not used by image workflows; the image world is configured under shapes",
      "reward: {kind: exact_match}|reward: not used by image workflows; the reward is configured under image_reward",
  })
  void badWorkflowFieldsAreNamed(String yaml, String expected) {
    assertRejected(yaml + "\n" + MINIMAL_STAGES, expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "steps: 0|steps: must be >= 1, got 0",
      "batch_size: 0|batch_size: must be >= 1, got 0",
      "learning_rate: 0|learning_rate: must be a finite number > 0",
      "max_grad_norm: 0|max_grad_norm: must be a finite number > 0",
      "weight_decay: -1|weight_decay: must be a finite number >= 0",
      "warmup_steps: -1|warmup_steps: must be >= 0, got -1",
      "cond_dropout: 1|cond_dropout: must be in [0, 1), got 1.0",
      "cond_dropout: -0.1|cond_dropout: must be in [0, 1)",
      "eval_steps: 0|eval_steps: must be >= 1, got 0",
      "guidance: -1|guidance: must be a finite number >= 0",
      "max_seconds: -1|max_seconds: must be a finite number >= 0",
      "eval_every_steps: -1|eval_every_steps: must be >= 0, got -1",
  })
  void badPretrainSettingsAreNamed(String setting, String expected) {
    assertRejected("stages:\n  - flow_pretrain: {" + setting + "}\n", "stages[0].flow_pretrain." + expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "steps: 0|steps: must be >= 1, got 0",
      "prompts_per_step: 0, updates_per_batch: 1|prompts_per_step: must be >= 1, got 0",
      "group_size: 1|group_size: must be >= 2",
      "group_size: 1|group-relative advantages need at least 2 samples per prompt",
      "learning_rate: 0|learning_rate: must be a finite number > 0",
      "noise_level: 0|noise_level: must be a finite number > 0",
      "noise_level: 0|the SDE is the deterministic ODE and the transition log-probability is undefined",
      "noise_level: -0.5|noise_level: must be a finite number > 0",
      "sample_steps: 1|sample_steps: must be >= 2, got 1",
      "eval_steps: 0|eval_steps: must be >= 1, got 0",
      "sample_steps: 50|sample_steps: must be <= eval_steps (40)",
      "sample_steps: 50|denoising reduction",
      "timestep_fraction: 0|timestep_fraction: must be in (0, 1]",
      "timestep_fraction: 1.5|timestep_fraction: must be in (0, 1]",
      "timestep_fraction: 0.05|timestep_fraction: trains floor(sample_steps * timestep_fraction) = 0",
      "guidance: -1|guidance: must be a finite number >= 0",
      "clip_range: 0|clip_range: must be a finite number > 0",
      "adv_clip_max: 0|adv_clip_max: must be a finite number > 0",
      "kl_beta: -0.1|kl_beta: must be a finite number >= 0",
      "updates_per_batch: 0|updates_per_batch: must be >= 1, got 0",
      "updates_per_batch: 9|updates_per_batch: must be <= prompts_per_step (8)",
      "updates_per_batch: 9|each optimizer step takes whole groups",
      "max_grad_norm: 0|max_grad_norm: must be a finite number > 0",
      "weight_decay: -1|weight_decay: must be a finite number >= 0",
      "warmup_steps: -1|warmup_steps: must be >= 0, got -1",
      "std_eps: 0|std_eps: must be a finite number > 0",
      "max_seconds: -1|max_seconds: must be a finite number >= 0",
      "eval_every_steps: -1|eval_every_steps: must be >= 0, got -1",
      "sde_window_size: 11|sde_window_size: must be in [0, sample_steps = 10] (0 = every step is SDE), got 11",
      "sde_window_size: 2, sde_window_end: 1|sde_window_end: must be in [sde_window_size = 2, sample_steps = 10]",
      "sde_window_size: 2, sde_window_end: 11|sde_window_end: must be in [sde_window_size = 2, sample_steps = 10]",
  })
  void badFlowGrpoSettingsAreNamed(String setting, String expected) {
    String full = expected.contains(":") ? "stages[0].flow_grpo." + expected : expected;
    assertRejected("stages:\n  - flow_grpo: {" + setting + "}\n", full);
  }

  @Test
  void nonFiniteNumbersAreRejected() {
    // YAML rejects NaN and infinities while parsing; a spec built in code reaches the validator with them
    WorkflowSpec spec = WorkflowSpec.newBuilder()
        .setImageModel(ImageModelSpec.newBuilder().setTimeShift(Float.NaN))
        .addStages(StageSpec.newBuilder().setFlowGrpo(FlowGrpoConfig.newBuilder()
            .setNoiseLevel(Float.POSITIVE_INFINITY).setGuidance(Float.NaN)))
        .build();
    String m = assertThrows(SpecException.class, () -> SpecValidator.resolve(spec, InputRoots.NONE)).getMessage();
    assertContains(m, "image_model.time_shift: must be a finite number > 0, got NaN");
    assertContains(m, "stages[0].flow_grpo.noise_level: must be a finite number > 0");
    assertContains(m, "stages[0].flow_grpo.guidance: must be a finite number >= 0, got NaN");
  }

  @Test
  void mixingTextAndImageStagesNamesTheFirstTextStage() {
    String m = message("stages:\n  - flow_pretrain: {}\n  - sft: {}\n  - grpo: {}\n");
    assertContains(m, "stages[1].sft: text stages cannot be mixed with image stages (flow_pretrain, flow_grpo) "
        + "in one workflow");
    assertFalse(m.contains("stages[2]"), m);
    assertContains(message("stages:\n  - sft: {}\n  - flow_grpo: {}\n"), "stages[0].sft: text stages cannot be mixed");
  }

  @Test
  void textWorkflowsMayNotCarryImageFields() {
    String m = message("""
        image_model: {layers: 2}
        shapes: {eval_prompts: 3}
        image_reward: {terms: [{name: composition}]}
        stages:
          - sft: {}
        """);
    for (String field : List.of("image_model", "shapes", "image_reward")) {
      assertContains(m, field + ": only image workflows (stages flow_pretrain, flow_grpo) use it");
    }
  }

  private static final String ALGORITHMS = SpecValidator.ALGORITHMS;

  @Test
  void missingStagesAndAlgorithmsListTheImageAlgorithms() {
    assertContains(message("name: x\n"),
        "stages: at least one stage is required (allowed algorithms: " + ALGORITHMS + ")");
    assertContains(message("stages: [{name: x}]\n"),
        "stages[0]: no algorithm; set exactly one of: " + ALGORITHMS);
    assertContains(message("stages: [{flow_pretrain: {}}, {name: x}]\n"),
        "stages[1]: no algorithm; set exactly one of: " + ALGORITHMS);
  }

  @Test
  void everyProblemIsListedAtOnce() {
    String m = message("""
        task: {kind: addition}
        image_model: {image_size: 30}
        shapes: {held_out_fraction: 0.9}
        image_reward: {terms: [{name: aesthetic}], max_failed_fraction: 2}
        eval: {every_steps: 0}
        stages:
          - flow_pretrain: {cond_dropout: 1}
          - flow_grpo: {group_size: 1, noise_level: 0}
        """);
    for (String path : List.of("task:", "image_model.image_size:", "shapes.held_out_fraction:",
        "image_reward.terms[0].name:", "image_reward.max_failed_fraction:", "eval.every_steps:",
        "stages[0].flow_pretrain.cond_dropout:", "stages[1].flow_grpo.group_size:",
        "stages[1].flow_grpo.noise_level:")) {
      assertContains(m, path);
    }
  }

  /** Every field with presence left unset under the filled spec, except the top-level fields named in skip. */
  private static void collectUnset(Message msg, String path, List<String> skip, List<String> unset) {
    for (FieldDescriptor f : msg.getDescriptorForType().getFields()) {
      String p = path.isEmpty() ? f.getName() : path + "." + f.getName();
      if (skip.contains(p)) {
        continue;
      }
      if (f.isRepeated()) {
        for (int i = 0; i < msg.getRepeatedFieldCount(f); i++) {
          if (msg.getRepeatedField(f, i) instanceof Message m) {
            collectUnset(m, p + "[" + i + "]", skip, unset);
          }
        }
      } else if (f.getRealContainingOneof() != null) {
        if (msg.hasField(f)) { // the stage's algorithm: only the chosen one is filled
          collectUnset((Message) msg.getField(f), p, skip, unset);
        }
      } else if (f.hasPresence() && !msg.hasField(f)) {
        unset.add(p);
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        collectUnset((Message) msg.getField(f), p, skip, unset);
      }
    }
  }

  private static void assertRejected(String yaml, String expected) {
    assertContains(message(yaml), expected);
  }
}
