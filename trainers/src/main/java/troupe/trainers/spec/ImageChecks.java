package troupe.trainers.spec;

import java.util.HashSet;
import java.util.Set;
import troupe.v1.FlowGrpoConfig;
import troupe.v1.FlowPretrainConfig;
import troupe.v1.ImageModelSpec;
import troupe.v1.ImageRewardSpec;
import troupe.v1.RewardTerm;
import troupe.v1.ShapesSpec;
import troupe.v1.WorkflowSpec;

/** The checks of image workflows (flow_pretrain, flow_grpo), reported through the validator's problem list. */
final class ImageChecks {
  private ImageChecks() {}

  static void check(WorkflowSpec s, SpecValidator v) {
    model(s.getImageModel(), v);
    shapes(s.getShapes(), v);
    reward(s.getImageReward(), v);
  }

  private static void model(ImageModelSpec m, SpecValidator v) {
    v.count("image_model.image_size", m.getImageSize(), 8, SpecLimits.MAX_IMAGE_SIZE);
    v.count("image_model.patch_size", m.getPatchSize(), 1, SpecLimits.MAX_IMAGE_SIZE);
    if (m.getPatchSize() >= 1 && m.getImageSize() % m.getPatchSize() != 0) {
      v.problem("image_model.image_size", "must be divisible by image_model.patch_size (" + m.getPatchSize()
          + "), got " + m.getImageSize());
    }
    v.count("image_model.layers", m.getLayers(), 1, SpecLimits.MAX_LAYERS);
    v.count("image_model.d_model", m.getDModel(), 8, SpecLimits.MAX_D_MODEL);
    v.count("image_model.heads", m.getHeads(), 1, SpecLimits.MAX_HEADS);
    if (m.getHeads() >= 1 && m.getDModel() % m.getHeads() != 0) {
      v.problem("image_model.d_model", "must be divisible by image_model.heads (" + m.getHeads() + "), got "
          + m.getDModel());
    }
    v.count("image_model.d_ff", m.getDFf(), 1, SpecLimits.MAX_D_FF);
    v.count("image_model.prompt_layers", m.getPromptLayers(), 0, SpecLimits.MAX_LAYERS);
    v.positive("image_model.time_shift", m.getTimeShift());
    if (!m.getInitCheckpoint().isEmpty()) {
      v.serverFile("image_model.init_checkpoint", m.getInitCheckpoint(), "");
    }
  }

  private static void shapes(ShapesSpec s, SpecValidator v) {
    if (!(s.getHeldOutFraction() > 0 && s.getHeldOutFraction() <= 0.5f)) {
      v.problem("shapes.held_out_fraction", "must be in (0, 0.5], got " + s.getHeldOutFraction());
    }
    v.count("shapes.eval_prompts", s.getEvalPrompts(), 1, SpecLimits.MAX_IMAGE_EVAL_PROMPTS);
    v.count("shapes.eval_samples_per_prompt", s.getEvalSamplesPerPrompt(), 1, SpecLimits.MAX_SAMPLES_PER_PROMPT);
    v.atLeast("shapes.grid_prompts", s.getGridPrompts(), 0);
    if (s.getGridPrompts() > s.getEvalPrompts()) {
      v.problem("shapes.grid_prompts", "must be <= shapes.eval_prompts (" + s.getEvalPrompts() + "), got "
          + s.getGridPrompts());
    }
    v.count("shapes.grid_samples_per_prompt", s.getGridSamplesPerPrompt(), 1, SpecLimits.MAX_GRID_SAMPLES);
  }

  private static void reward(ImageRewardSpec r, SpecValidator v) {
    if (r.getTermsCount() == 0) {
      v.problem("image_reward.terms", "at least one term is required; allowed names: "
          + String.join(", ", SpecValidator.IMAGE_REWARD_TERMS));
    }
    Set<String> seen = new HashSet<>();
    boolean anyPositive = false;
    for (int i = 0; i < r.getTermsCount(); i++) {
      RewardTerm t = r.getTerms(i);
      String path = "image_reward.terms[" + i + "]";
      if (!SpecValidator.IMAGE_REWARD_TERMS.contains(t.getName())) {
        v.problem(path + ".name", "unknown \"" + t.getName() + "\"; allowed: "
            + String.join(", ", SpecValidator.IMAGE_REWARD_TERMS));
      } else if (!seen.add(t.getName())) {
        v.problem(path + ".name", "\"" + t.getName() + "\" appears twice; list each term once");
      }
      v.nonNegative(path + ".weight", t.getWeight());
      anyPositive |= t.getWeight() > 0;
    }
    if (r.getTermsCount() > 0 && !anyPositive) {
      v.problem("image_reward.terms", "every weight is 0; at least one must be > 0");
    }
    v.range("image_reward.max_failed_fraction", r.getMaxFailedFraction(), 0, 1);
  }

  static void pretrain(FlowPretrainConfig c, String path, SpecValidator v) {
    v.count(path + ".steps", c.getSteps(), 1, SpecLimits.MAX_STEPS);
    v.count(path + ".batch_size", c.getBatchSize(), 1, SpecLimits.MAX_BATCH_SIZE);
    v.learningRate(path + ".learning_rate", c.getLearningRate());
    v.positive(path + ".max_grad_norm", c.getMaxGradNorm());
    v.nonNegative(path + ".weight_decay", c.getWeightDecay());
    v.count(path + ".warmup_steps", c.getWarmupSteps(), 0, SpecLimits.MAX_STEPS);
    if (!(c.getCondDropout() >= 0 && c.getCondDropout() < 1)) {
      v.problem(path + ".cond_dropout", "must be in [0, 1), got " + c.getCondDropout());
    }
    v.count(path + ".eval_steps", c.getEvalSteps(), 1, SpecLimits.MAX_SAMPLING_STEPS);
    v.nonNegative(path + ".guidance", c.getGuidance());
    v.nonNegative(path + ".max_seconds", c.getMaxSeconds());
    v.count(path + ".eval_every_steps", c.getEvalEverySteps(), 0, SpecLimits.MAX_STEPS);
  }

  static void flowGrpo(FlowGrpoConfig c, String path, SpecValidator v) {
    v.count(path + ".steps", c.getSteps(), 1, SpecLimits.MAX_STEPS);
    v.count(path + ".prompts_per_step", c.getPromptsPerStep(), 1, SpecLimits.MAX_PROMPTS_PER_STEP);
    if (c.getGroupSize() < 2) {
      v.problem(path + ".group_size", "must be >= 2: group-relative advantages need at least 2 samples per prompt, got "
          + c.getGroupSize());
    }
    v.atMost(path + ".group_size", c.getGroupSize(), SpecLimits.MAX_GROUP_SIZE);
    v.learningRate(path + ".learning_rate", c.getLearningRate());
    if (!(c.getNoiseLevel() > 0) || !Float.isFinite(c.getNoiseLevel())) {
      v.problem(path + ".noise_level", "must be a finite number > 0: with noise_level 0 the SDE is the deterministic "
          + "ODE and the transition log-probability is undefined, got " + c.getNoiseLevel());
    }
    v.count(path + ".sample_steps", c.getSampleSteps(), 2, SpecLimits.MAX_SAMPLING_STEPS);
    v.count(path + ".eval_steps", c.getEvalSteps(), 1, SpecLimits.MAX_SAMPLING_STEPS);
    if (c.getSampleSteps() > c.getEvalSteps()) {
      v.problem(path + ".sample_steps", "must be <= eval_steps (" + c.getEvalSteps() + "): denoising reduction trains "
          + "with at most as many steps as evaluation uses, got " + c.getSampleSteps());
    }
    if (!(c.getTimestepFraction() > 0 && c.getTimestepFraction() <= 1)) {
      v.problem(path + ".timestep_fraction", "must be in (0, 1], got " + c.getTimestepFraction());
    } else if (Math.floor(c.getSampleSteps() * c.getTimestepFraction()) < 1) {
      v.problem(path + ".timestep_fraction", "trains floor(sample_steps * timestep_fraction) = 0 transitions; raise it");
    }
    if (c.getSdeWindowSize() < 0 || c.getSdeWindowSize() > c.getSampleSteps()) {
      v.problem(path + ".sde_window_size", "must be in [0, sample_steps = " + c.getSampleSteps() + "] (0 = every "
          + "step is SDE), got " + c.getSdeWindowSize());
    } else if (c.getSdeWindowSize() > 0
        && (c.getSdeWindowEnd() < c.getSdeWindowSize() || c.getSdeWindowEnd() > c.getSampleSteps())) {
      v.problem(path + ".sde_window_end", "must be in [sde_window_size = " + c.getSdeWindowSize()
          + ", sample_steps = " + c.getSampleSteps() + "]: the window lies in steps [0, end), got "
          + c.getSdeWindowEnd());
    }
    v.atMost(path + ".sde_window_end", c.getSdeWindowEnd(), SpecLimits.MAX_SAMPLING_STEPS); // unused at size 0
    v.nonNegative(path + ".guidance", c.getGuidance());
    v.positive(path + ".clip_range", c.getClipRange());
    v.positive(path + ".adv_clip_max", c.getAdvClipMax());
    v.nonNegative(path + ".kl_beta", c.getKlBeta());
    v.atLeast(path + ".updates_per_batch", c.getUpdatesPerBatch(), 1);
    if (c.getUpdatesPerBatch() > c.getPromptsPerStep()) {
      v.problem(path + ".updates_per_batch", "must be <= prompts_per_step (" + c.getPromptsPerStep()
          + "): each optimizer step takes whole groups, got " + c.getUpdatesPerBatch());
    }
    v.positive(path + ".max_grad_norm", c.getMaxGradNorm());
    v.nonNegative(path + ".weight_decay", c.getWeightDecay());
    v.count(path + ".warmup_steps", c.getWarmupSteps(), 0, SpecLimits.MAX_STEPS);
    v.positive(path + ".std_eps", c.getStdEps());
    v.nonNegative(path + ".max_seconds", c.getMaxSeconds());
    v.count(path + ".eval_every_steps", c.getEvalEverySteps(), 0, SpecLimits.MAX_STEPS);
  }
}
