package troupe.trainers.spec;

import java.util.Locale;
import troupe.trainers.model.CharTokenizer;
import troupe.v1.FlowGrpoConfig;
import troupe.v1.ImageModelSpec;
import troupe.v1.ModelSpec;
import troupe.v1.RuntimeSpec;
import troupe.v1.ShapesSpec;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowSpec;

/**
 * Checks of what fields cost together, which no single field's bound rules out: the model's parameter count, the
 * memory of one step, and the disk of checkpoints. The estimates are rough (within a small factor of what DJL
 * allocates) and are only made once every field is in its own range.
 */
public final class CostChecks {
  private CostChecks() {}

  /**
   * The estimate of the tensors of one training step of stage {@code index} of a resolved spec: the number the
   * checks compare with {@link SpecLimits#MAX_STEP_BYTES}; `troupe bench-memory` compares it with measured memory.
   */
  public static double trainStepBytes(WorkflowSpec s, int index) {
    StageSpec stage = s.getStages(index);
    return SpecDefaults.isImageWorkflow(s) ? imageNet(s.getImageModel()).passBytes(trainedAtOnce(stage),
        patches(s.getImageModel())) : textNet(s.getModel()).passBytes(trainedAtOnce(stage),
        s.getModel().getMaxSeqLen());
  }

  /** The sequences (or images) a training step of {@code stage} passes forward and backward at once. */
  private static double trainedAtOnce(StageSpec stage) {
    return switch (stage.getAlgorithmCase()) {
      case SFT -> {
        var c = stage.getSft();
        yield micro(c) ? c.getMicroBatchSize() : c.getBatchSize();
      }
      case DPO -> 2.0 * stage.getDpo().getBatchSize();
      case REWARD_MODEL -> 2.0 * stage.getRewardModel().getBatchSize();
      case FLOW_PRETRAIN -> stage.getFlowPretrain().getBatchSize();
      case FLOW_GRPO -> (double) stage.getFlowGrpo().getPromptsPerStep() * stage.getFlowGrpo().getGroupSize();
      default -> {
        if (!RlPresets.isRl(stage)) {
          throw new IllegalArgumentException("a " + stage.getAlgorithmCase() + " stage has no training step");
        }
        var c = RlPresets.config(stage);
        yield (double) c.getPromptsPerStep() * c.getGroupSize();
      }
    };
  }

  private static boolean micro(troupe.v1.SftConfig c) {
    return c.getMicroBatchSize() > 0 && c.getMicroBatchSize() < c.getBatchSize();
  }

  private static Net textNet(ModelSpec m) {
    return new Net(m.getLayers(), m.getDModel(), m.getDFf(), m.getHeads(), CharTokenizer.INSTANCE.vocabSize());
  }

  private static Net imageNet(ImageModelSpec m) {
    return new Net(m.getLayers(), m.getDModel(), m.getDFf(), m.getHeads(), 3 * m.getPatchSize() * m.getPatchSize());
  }

  private static int patches(ImageModelSpec m) {
    return (m.getImageSize() / m.getPatchSize()) * (m.getImageSize() / m.getPatchSize());
  }

  /** The shape of a transformer for the memory estimate; outputs is the width of its last layer per token. */
  private record Net(int layers, int dModel, int dFf, int heads, int outputs) {
    /**
     * Bytes of the float32 tensors of one pass over {@code sequences} sequences of {@code tokens} tokens with the
     * activations kept for the backward pass and their gradients: per token and layer about 24 d_model + 3 d_ff
     * values, plus the attention's tensors (8 heads x tokens: scores, mask, probabilities and their gradients), plus
     * 8 per output (logits, log-probs, entropy and their gradients). Sampling keeps less, but its KV cache and the
     * intermediates of every decoding step add up to the same order. The constants were fitted with `troupe
     * bench-memory` (text SFT and GRPO steps, flow_pretrain steps): measured peak / estimate 1.0 to 1.25 on steps of
     * 12 MiB to 1 GiB; the earlier 16 d_model + 2 d_ff + 2 heads x tokens + 3 outputs was 1.9 to 2.3 times under, as
     * DJL keeps every intermediate of a step (and its gradient) until the step's scope closes.
     */
    double passBytes(double sequences, int tokens) {
      double perToken = (double) layers * (24.0 * dModel + 3.0 * dFf + 8.0 * heads * tokens) + 8.0 * outputs;
      return 4 * sequences * tokens * perToken;
    }
  }

  /** heldOut: the task's held-out prompts, which every evaluation decodes at once. */
  static void text(WorkflowSpec s, int heldOut, SpecValidator v) {
    ModelSpec m = s.getModel();
    int vocab = CharTokenizer.INSTANCE.vocabSize();
    double d = m.getDModel();
    double parameters = m.getLayers() * (4 * d * d + 2 * d * m.getDFf() + 2 * d) + 2 * vocab * d + d + vocab;
    if (!parameters(v, "model", parameters, "layers, d_model or d_ff")) {
      return;
    }
    Net net = textNet(m);
    int len = m.getMaxSeqLen();
    step(v, "task.eval_size", "every evaluation decodes the task's " + heldOut + " held-out prompts at once",
        net.passBytes(heldOut, len), "task.eval_size (or a jsonl task's held-out lines)");
    for (int i = 0; i < s.getStagesCount(); i++) {
      StageSpec stage = s.getStages(i);
      String path = "stages[" + i + "]." + RlPresets.algorithm(stage);
      switch (stage.getAlgorithmCase()) {
        case SFT -> {
          boolean micro = micro(stage.getSft());
          step(v, path, "a step trains on " + (micro ? "micro_batch_size " : "batch_size ") + (int) trainedAtOnce(stage)
              + " sequences at once", trainStepBytes(s, i), micro ? "micro_batch_size" : "batch_size or set "
              + "micro_batch_size");
        }
        case DPO -> step(v, path, "a step trains on batch_size " + stage.getDpo().getBatchSize()
            + " pairs (2 sequences each)", trainStepBytes(s, i), "batch_size");
        case REWARD_MODEL -> step(v, path, "a step trains on batch_size " + stage.getRewardModel().getBatchSize()
            + " pairs (2 sequences each)", trainStepBytes(s, i), "batch_size");
        case EVAL -> {
          var c = stage.getEval();
          int prompts = c.getPrompts() > 0 ? Math.min(c.getPrompts(), heldOut) : heldOut;
          step(v, path, "the stage samples " + prompts + " prompts x samples_per_prompt " + c.getSamplesPerPrompt()
              + " at once", net.passBytes((double) prompts * c.getSamplesPerPrompt(), len),
              "prompts or samples_per_prompt");
        }
        case GENERATE_PREFERENCES -> {
          var c = stage.getGeneratePreferences();
          int prompts = Math.min(c.getPrompts(), SpecLimits.PREFERENCE_PROMPTS_PER_CALL);
          step(v, path, "each call samples " + prompts + " prompts x samples_per_prompt " + c.getSamplesPerPrompt(),
              net.passBytes((double) prompts * c.getSamplesPerPrompt(), len), "samples_per_prompt");
        }
        default -> {
          if (RlPresets.isRl(stage)) {
            var c = RlPresets.config(stage);
            step(v, path, "a step trains on prompts_per_step " + c.getPromptsPerStep() + " x group_size "
                + c.getGroupSize() + " sequences at once", trainStepBytes(s, i), "prompts_per_step or group_size");
          }
        }
      }
    }
    disk(v, s, parameters);
  }

  static void image(WorkflowSpec s, SpecValidator v) {
    ImageModelSpec m = s.getImageModel();
    double d = m.getDModel();
    double ff = m.getDFf();
    int patchValues = 3 * m.getPatchSize() * m.getPatchSize();
    // DiT blocks: attention 4 d^2, adaLN modulation 6 d^2, MLP 2 d d_ff; prompt encoder layers: 4 d^2 + 2 d d_ff;
    // time embedding, prompt pooling and final modulation 5 d^2; patch embedding and head.
    double parameters = m.getLayers() * (10 * d * d + 2 * d * ff) + m.getPromptLayers() * (4 * d * d + 2 * d * ff)
        + 5 * d * d + 2.0 * patchValues * d;
    if (!parameters(v, "image_model", parameters, "layers, prompt_layers, d_model or d_ff")) {
      return;
    }
    int patches = patches(m);
    Net net = imageNet(m);
    ShapesSpec shapes = s.getShapes();
    step(v, "shapes", "every evaluation samples eval_prompts " + shapes.getEvalPrompts() + " x "
        + "eval_samples_per_prompt " + shapes.getEvalSamplesPerPrompt() + " images of " + patches + " patches at once",
        net.passBytes((double) shapes.getEvalPrompts() * shapes.getEvalSamplesPerPrompt(), patches),
        "eval_prompts, eval_samples_per_prompt or image_model.image_size");
    step(v, "shapes.grid_samples_per_prompt", "every evaluation grid samples grid_prompts " + shapes.getGridPrompts()
        + " x grid_samples_per_prompt " + shapes.getGridSamplesPerPrompt() + " images at once",
        net.passBytes((double) shapes.getGridPrompts() * shapes.getGridSamplesPerPrompt(), patches),
        "grid_prompts or grid_samples_per_prompt");
    for (int i = 0; i < s.getStagesCount(); i++) {
      StageSpec stage = s.getStages(i);
      String path = "stages[" + i + "]." + RlPresets.algorithm(stage);
      if (stage.hasFlowPretrain()) {
        int batch = stage.getFlowPretrain().getBatchSize();
        step(v, path, "a step trains on batch_size " + batch + " images of " + patches + " patches at once",
            trainStepBytes(s, i), "batch_size or image_model.image_size");
      } else if (stage.hasFlowGrpo()) {
        FlowGrpoConfig c = stage.getFlowGrpo();
        double images = (double) c.getPromptsPerStep() * c.getGroupSize();
        step(v, path, "a step samples prompts_per_step " + c.getPromptsPerStep() + " x group_size "
            + c.getGroupSize() + " images of " + patches + " patches at once", trainStepBytes(s, i),
            "prompts_per_step or group_size");
        double trajectories = images * (c.getSampleSteps() + 1) * 3.0 * m.getImageSize() * m.getImageSize() * 4;
        if (trajectories > SpecLimits.MAX_TRAJECTORY_BYTES) {
          v.problem(path, "a step's trajectories (prompts_per_step x group_size x (sample_steps + 1) images of "
              + m.getImageSize() + "x" + m.getImageSize() + " pixels) take " + size(trajectories) + "; the limit is "
              + size(SpecLimits.MAX_TRAJECTORY_BYTES) + ": lower prompts_per_step, group_size or sample_steps");
        }
      }
    }
    disk(v, s, parameters);
  }

  /** Reports a model over MAX_PARAMETERS; true when it is within. */
  private static boolean parameters(SpecValidator v, String path, double parameters, String fields) {
    if (parameters <= SpecLimits.MAX_PARAMETERS) {
      return true;
    }
    v.problem(path, String.format(Locale.ROOT, "about %.1fM parameters; the limit is %dM (each costs about 16 bytes "
        + "in every worker that holds the model): lower %s", parameters / 1e6, SpecLimits.MAX_PARAMETERS / 1_000_000,
        fields));
    return false;
  }

  private static void step(SpecValidator v, String path, String what, double bytes, String fields) {
    if (bytes > SpecLimits.MAX_STEP_BYTES) {
      v.problem(path, what + ": about " + size(bytes) + " of tensors for this model; the limit is "
          + size(SpecLimits.MAX_STEP_BYTES) + ": lower " + fields + ", or the model's size");
    }
  }

  /**
   * Checkpoints (weights, 4 bytes a parameter) every runtime.checkpoint_every_steps and at the end of each stage,
   * and resume points (weights and optimizer, 12 bytes a parameter): the newest kept ones plus each stage's start.
   */
  private static void disk(SpecValidator v, WorkflowSpec s, double parameters) {
    RuntimeSpec r = s.getRuntime();
    double checkpoints = 0;
    for (StageSpec stage : s.getStagesList()) {
      int every = r.getCheckpointEverySteps();
      checkpoints += 1 + (every > 0 ? steps(stage) / every : 0);
    }
    double resumePoints = r.getResumeEverySteps() > 0 ? r.getKeepResumePoints() + s.getStagesCount() : 0;
    double bytes = parameters * (4 * checkpoints + 12 * resumePoints);
    if (bytes > SpecLimits.MAX_DISK_BYTES) {
      v.problem("runtime", String.format(Locale.ROOT, "%.0f checkpoints and %.0f resume points of this model take "
          + "about %s of disk; the limit is %s: raise runtime.checkpoint_every_steps or lower "
          + "runtime.keep_resume_points", checkpoints, resumePoints, size(bytes), size(SpecLimits.MAX_DISK_BYTES)));
    }
  }

  /** The steps of a stage that has them (the others checkpoint once). */
  private static int steps(StageSpec stage) {
    return switch (stage.getAlgorithmCase()) {
      case SFT -> stage.getSft().getSteps();
      case DPO -> stage.getDpo().getSteps();
      case REWARD_MODEL -> stage.getRewardModel().getSteps();
      case FLOW_PRETRAIN -> stage.getFlowPretrain().getSteps();
      case FLOW_GRPO -> stage.getFlowGrpo().getSteps();
      default -> RlPresets.isRl(stage) ? RlPresets.config(stage).getSteps() : 0;
    };
  }

  static String size(double bytes) {
    return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (1L << 30))
        : String.format(Locale.ROOT, "%.0f MiB", bytes / (1L << 20));
  }
}
