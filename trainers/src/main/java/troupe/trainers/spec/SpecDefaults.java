package troupe.trainers.spec;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import troupe.v1.DpoConfig;
import troupe.v1.EvalSpec;
import troupe.v1.RewardModelConfig;
import troupe.v1.EvalStageConfig;
import troupe.v1.GeneratePreferencesConfig;
import troupe.v1.FlowGrpoConfig;
import troupe.v1.FlowPretrainConfig;
import troupe.v1.ImageModelSpec;
import troupe.v1.ImageRewardSpec;
import troupe.v1.RewardTerm;
import troupe.v1.ShapesSpec;
import troupe.v1.ModelSpec;
import troupe.v1.RewardSpec;
import troupe.v1.RuntimeSpec;
import troupe.v1.SftConfig;
import troupe.v1.StageSpec;
import troupe.v1.TaskSpec;
import troupe.v1.WorkflowSpec;

/**
 * The one place where workflow defaults live. Every field a user leaves out is filled here at submission, and the
 * filled spec is what runs and what GetWorkflow returns, so a run is fully described by its stored spec.
 * The defaults are sized for 2 CPU cores: a 0.4M-parameter transformer on short arithmetic, and for image workflows
 * (stages flow_pretrain, flow_grpo) a 0.4M-parameter DiT on 32x32 images. Text workflows get model, task and
 * reward; image workflows get image_model, shapes and image_reward instead, never both.
 */
public final class SpecDefaults {
  public static final long SEED = 1;

  private SpecDefaults() {}

  /** An image workflow has flow_pretrain or flow_grpo stages; it uses image_model, shapes and image_reward. */
  public static boolean isImageWorkflow(WorkflowSpec spec) {
    return spec.getStagesList().stream().anyMatch(s -> s.hasFlowPretrain() || s.hasFlowGrpo());
  }

  public static WorkflowSpec apply(WorkflowSpec spec) {
    WorkflowSpec.Builder b = spec.toBuilder();
    if (b.getName().isEmpty()) {
      b.setName("workflow");
    }
    if (!b.hasSeed()) {
      b.setSeed(SEED);
    }
    if (isImageWorkflow(spec)) {
      b.setImageModel(imageModel(b.getImageModel()));
      b.setShapes(shapes(b.getShapes()));
      b.setImageReward(imageReward(b.getImageReward()));
    } else {
      b.setModel(model(b.getModel()));
      b.setTask(task(b.getTask()));
      RewardSpec reward = reward(b.getReward());
      b.setReward(reward.toBuilder().setCheckpoint(serverPath(reward.getCheckpoint())));
    }
    java.util.Set<String> generated = new java.util.HashSet<>(); // files earlier stages write into the folder
    for (int i = 0; i < b.getStagesCount(); i++) {
      StageSpec stage = stage(b.getStages(i), i);
      if (stage.hasDpo() && !generated.contains(stage.getDpo().getTrainFile())) {
        stage = stage.toBuilder().setDpo(stage.getDpo().toBuilder()
            .setTrainFile(serverPath(stage.getDpo().getTrainFile()))).build();
      }
      if (stage.hasRewardModel() && !generated.contains(stage.getRewardModel().getTrainFile())) {
        stage = stage.toBuilder().setRewardModel(stage.getRewardModel().toBuilder()
            .setTrainFile(serverPath(stage.getRewardModel().getTrainFile()))).build();
      }
      if (RlPresets.isRl(stage) && RlPresets.config(stage).hasReward()) {
        RewardSpec r = reward(RlPresets.config(stage).getReward());
        if (!generated.contains(r.getCheckpoint())) {
          r = r.toBuilder().setCheckpoint(serverPath(r.getCheckpoint())).build();
        }
        stage = RlPresets.withConfig(stage.toBuilder(), RlPresets.config(stage).toBuilder().setReward(r).build())
            .build();
      }
      generated.addAll(outputs(stage));
      b.setStages(i, stage);
    }
    b.setEval(eval(b.getEval()));
    b.setRuntime(runtime(b.getRuntime()));
    b.setPlacement(placement(b.getPlacement()));
    return b.build();
  }

  /**
   * A relative file path in a spec names a file of the server's Troupe installation (its `troupe.home`, where
   * configs/ lives), not of the client's working directory: shipped checkpoints work from any client. Without a
   * Troupe home it names a file of the server's working directory. Stored absolute, so the spec still names the
   * file that ran; a path that is not valid is left as it is for the validator to name.
   */
  static String serverPath(String path) {
    if (path.isEmpty()) {
      return path;
    }
    try {
      Path p = Path.of(path);
      return p.isAbsolute() ? path : troupeHome().orElse(Path.of("").toAbsolutePath()).resolve(p).normalize()
          .toString();
    } catch (InvalidPathException e) {
      return path;
    }
  }

  /** The server's Troupe installation: system property troupe.home, which bin/troupe sets. */
  public static Optional<Path> troupeHome() {
    String home = System.getProperty("troupe.home");
    try {
      return home == null || home.isEmpty() ? Optional.empty() : Optional.of(Path.of(home).toAbsolutePath());
    } catch (InvalidPathException e) {
      return Optional.empty();
    }
  }

  /** The files a stage writes into the workflow folder, which later stages may name by file name. */
  static java.util.List<String> outputs(StageSpec s) {
    if (s.hasGeneratePreferences()) {
      return java.util.List.of(s.getGeneratePreferences().getOutput());
    }
    if (s.hasRewardModel()) {
      return java.util.List.of(s.getRewardModel().getOutput());
    }
    return java.util.List.of();
  }

  static ModelSpec model(ModelSpec m) {
    ModelSpec.Builder b = m.toBuilder();
    if (!b.hasLayers()) b.setLayers(2);
    if (!b.hasDModel()) b.setDModel(128);
    if (!b.hasHeads()) b.setHeads(4);
    if (!b.hasDFf()) b.setDFf(4 * b.getDModel());
    if (!b.hasMaxSeqLen()) b.setMaxSeqLen(32);
    b.setInitCheckpoint(serverPath(b.getInitCheckpoint()));
    return b.build();
  }

  static TaskSpec task(TaskSpec t) {
    TaskSpec.Builder b = t.toBuilder();
    if (b.getKind().isEmpty()) b.setKind("addition");
    if (!b.hasMinDigits()) b.setMinDigits(1);
    if (!b.hasMaxDigits()) b.setMaxDigits(2);
    if (!b.hasLabelledSize()) b.setLabelledSize(256);
    if (!b.hasEvalSize()) b.setEvalSize(200);
    b.setTrainFile(serverPath(b.getTrainFile()));
    b.setEvalFile(serverPath(b.getEvalFile()));
    return b.build();
  }

  static RewardSpec reward(RewardSpec r) {
    RewardSpec.Builder b = r.toBuilder();
    if (b.getKind().isEmpty()) b.setKind("exact_match");
    if (!b.hasCorrect()) b.setCorrect(1f);
    if (!b.hasWrong()) b.setWrong(0f);
    if (!b.hasTimeoutSeconds()) b.setTimeoutSeconds(30);
    if (!b.hasMaxBatch()) b.setMaxBatch(256);
    return b.build();
  }

  static StageSpec stage(StageSpec s, int index) {
    StageSpec.Builder b = s.toBuilder();
    switch (s.getAlgorithmCase()) {
      case SFT -> b.setSft(sft(s.getSft()));
      case FLOW_PRETRAIN -> b.setFlowPretrain(flowPretrain(s.getFlowPretrain()));
      case FLOW_GRPO -> b.setFlowGrpo(flowGrpo(s.getFlowGrpo()));
      case EVAL -> b.setEval(evalStage(s.getEval()));
      case DPO -> b.setDpo(dpo(s.getDpo()));
      case REWARD_MODEL -> { } // its output name needs the stage name, filled below
      case GENERATE_PREFERENCES -> { } // its output name needs the stage name, filled below
      default -> {
        if (RlPresets.isRl(s)) {
          RlPresets.withConfig(b, RlPresets.apply(RlPresets.algorithm(s), RlPresets.config(s)));
        } // else the validator names the missing algorithm
      }
    }
    if (b.getName().isEmpty()) {
      String algorithm = RlPresets.algorithm(s);
      b.setName((algorithm.isEmpty() ? "stage" : algorithm) + "-" + (index + 1));
    }
    if (b.hasGeneratePreferences()) {
      b.setGeneratePreferences(generatePreferences(b.getGeneratePreferences(), b.getName()));
    }
    if (b.hasRewardModel()) {
      b.setRewardModel(rewardModel(b.getRewardModel(), b.getName()));
    }
    return b.build();
  }

  static SftConfig sft(SftConfig c) {
    SftConfig.Builder b = c.toBuilder();
    if (!b.hasSteps()) b.setSteps(200);
    if (!b.hasBatchSize()) b.setBatchSize(32);
    if (!b.hasLearningRate()) b.setLearningRate(1e-3f);
    if (!b.hasMaxGradNorm()) b.setMaxGradNorm(1f);
    if (!b.hasWeightDecay()) b.setWeightDecay(0f);
    if (!b.hasMaxSeconds()) b.setMaxSeconds(0f);
    if (!b.hasWarmupSteps()) b.setWarmupSteps(0);
    if (!b.hasPacking()) b.setPacking(false);
    if (b.getLrSchedule().isEmpty()) b.setLrSchedule("constant");
    if (!b.hasMinLrRatio()) b.setMinLrRatio(0.1f);
    if (!b.hasMicroBatchSize()) b.setMicroBatchSize(0);
    if (!b.hasMaxBadLines()) b.setMaxBadLines(0);
    b.setTrainFile(serverPath(b.getTrainFile()));
    return b.build();
  }

  static EvalStageConfig evalStage(EvalStageConfig c) {
    EvalStageConfig.Builder b = c.toBuilder();
    if (!b.hasSamplesPerPrompt()) b.setSamplesPerPrompt(8);
    if (b.getKCount() == 0) {
      b.addK(1);
      if (b.getSamplesPerPrompt() > 1) b.addK(b.getSamplesPerPrompt());
    }
    if (!b.hasTemperature()) b.setTemperature(1f);
    if (!b.hasMaxNewTokens()) b.setMaxNewTokens(0);   // 0 = the task's longest answer + EOS
    if (!b.hasPrompts()) b.setPrompts(0);             // 0 = every held-out prompt
    return b.build();
  }

  /**
   * DPO defaults: algorithms.md 3.4 (beta 0.1, sigmoid, no label smoothing) with the learning rate of a small model
   * (TRL's 1e-6 is for billions of parameters).
   */
  static DpoConfig dpo(DpoConfig c) {
    DpoConfig.Builder b = c.toBuilder();
    if (b.getLossType().isEmpty()) b.setLossType("sigmoid");
    if (!b.hasBeta()) b.setBeta(b.getLossType().equals("simpo") ? 2.5f : 0.1f); // SimPO's paper setting
    if (!b.hasSimpoGamma()) b.setSimpoGamma(1.375f);
    if (!b.hasDesirableWeight()) b.setDesirableWeight(1f);     // TRL KTOConfig
    if (!b.hasUndesirableWeight()) b.setUndesirableWeight(1f);
    if (!b.hasLabelSmoothing()) b.setLabelSmoothing(0f);
    if (!b.hasReferenceFree()) b.setReferenceFree(false);
    if (!b.hasSteps()) b.setSteps(100);
    if (!b.hasBatchSize()) b.setBatchSize(32);
    if (!b.hasLearningRate()) b.setLearningRate(1e-4f);
    if (!b.hasMaxGradNorm()) b.setMaxGradNorm(1f);
    if (!b.hasWarmupSteps()) b.setWarmupSteps(10);
    if (!b.hasMaxSeconds()) b.setMaxSeconds(0f);
    if (!b.hasEvalFraction()) b.setEvalFraction(0.1f);
    if (!b.hasMaxBadLines()) b.setMaxBadLines(0);
    if (!b.hasNllAlpha()) b.setNllAlpha(0f);
    if (!b.hasCacheReference()) b.setCacheReference(true);
    return b.build();
  }

  static RewardModelConfig rewardModel(RewardModelConfig c, String stageName) {
    RewardModelConfig.Builder b = c.toBuilder();
    if (!b.hasSteps()) b.setSteps(200);
    if (!b.hasBatchSize()) b.setBatchSize(32);
    if (!b.hasLearningRate()) b.setLearningRate(3e-4f);
    if (!b.hasMaxGradNorm()) b.setMaxGradNorm(1f);
    if (!b.hasWarmupSteps()) b.setWarmupSteps(10);
    if (!b.hasEvalFraction()) b.setEvalFraction(0.1f);
    if (b.getInit().isEmpty()) b.setInit("policy");   // InstructGPT starts the RM from the SFT model
    if (b.getOutput().isEmpty()) b.setOutput("reward-model-" + stageName + ".safetensors");
    if (!b.hasMaxBadLines()) b.setMaxBadLines(0);
    if (!b.hasMaxSeconds()) b.setMaxSeconds(0f);
    return b.build();
  }

  static GeneratePreferencesConfig generatePreferences(GeneratePreferencesConfig c, String stageName) {
    GeneratePreferencesConfig.Builder b = c.toBuilder();
    if (!b.hasPrompts()) b.setPrompts(256);
    if (!b.hasSamplesPerPrompt()) b.setSamplesPerPrompt(4);
    if (!b.hasTemperature()) b.setTemperature(1f);
    if (!b.hasMaxNewTokens()) b.setMaxNewTokens(0);
    if (b.getOutput().isEmpty()) b.setOutput("preferences-" + stageName + ".jsonl");
    return b.build();
  }

  /** A 0.4M-parameter DiT on 32x32 RGB images in pixel space: pretraining and Flow-GRPO take minutes on 2 CPU cores. */
  static ImageModelSpec imageModel(ImageModelSpec m) {
    ImageModelSpec.Builder b = m.toBuilder();
    if (!b.hasImageSize()) b.setImageSize(32); // room for three shapes and a spatial relation
    if (!b.hasPatchSize()) b.setPatchSize(4);  // 8x8 = 64 patch tokens of 48 values each
    if (!b.hasLayers()) b.setLayers(4);
    if (!b.hasDModel()) b.setDModel(64);
    if (!b.hasHeads()) b.setHeads(4);
    if (!b.hasDFf()) b.setDFf(4 * b.getDModel());
    if (!b.hasPromptLayers()) b.setPromptLayers(1);
    if (!b.hasTimeShift()) b.setTimeShift(1f);    // 1 = uniform schedule, no shift
    b.setInitCheckpoint(serverPath(b.getInitCheckpoint()));
    return b.build();
  }

  static ShapesSpec shapes(ShapesSpec s) {
    ShapesSpec.Builder b = s.toBuilder();
    if (!b.hasHeldOutFraction()) b.setHeldOutFraction(0.15f);
    if (!b.hasEvalPrompts()) b.setEvalPrompts(48);
    if (!b.hasEvalSamplesPerPrompt()) b.setEvalSamplesPerPrompt(2);
    if (!b.hasGridPrompts()) b.setGridPrompts(8);
    if (!b.hasGridSamplesPerPrompt()) b.setGridSamplesPerPrompt(4);
    return b.build();
  }

  static ImageRewardSpec imageReward(ImageRewardSpec r) {
    ImageRewardSpec.Builder b = r.toBuilder();
    // partial credit per verifier check: a denser signal than composition_strict
    if (b.getTermsCount() == 0) b.addTerms(RewardTerm.newBuilder().setName("composition"));
    for (int i = 0; i < b.getTermsCount(); i++) {
      if (!b.getTerms(i).hasWeight()) b.setTerms(i, b.getTerms(i).toBuilder().setWeight(1f));
    }
    if (!b.hasMaxFailedFraction()) b.setMaxFailedFraction(0.25f);
    return b.build();
  }

  public static FlowPretrainConfig flowPretrain(FlowPretrainConfig c) {
    FlowPretrainConfig.Builder b = c.toBuilder();
    if (!b.hasSteps()) b.setSteps(1500);
    if (!b.hasBatchSize()) b.setBatchSize(64);
    if (!b.hasLearningRate()) b.setLearningRate(1e-3f); // the rate of configs/flow-pretrain-shapes.yaml
    if (!b.hasMaxGradNorm()) b.setMaxGradNorm(1f);
    if (!b.hasWeightDecay()) b.setWeightDecay(0f);
    if (!b.hasWarmupSteps()) b.setWarmupSteps(50);
    if (!b.hasCondDropout()) b.setCondDropout(0.1f); // empty-prompt share that makes guidance possible
    if (!b.hasEvalSteps()) b.setEvalSteps(40);
    if (!b.hasGuidance()) b.setGuidance(3f);
    if (!b.hasMaxSeconds()) b.setMaxSeconds(0f); // 0 = no wall-time limit
    if (!b.hasEvalEverySteps()) b.setEvalEverySteps(0); // 0 = use eval.every_steps
    return b.build();
  }

  /**
   * Flow-GRPO defaults: algorithms.md 6.7 scaled down for 2 CPU cores. Changed: G 24 -> 8 and 8 prompts per step
   * (flow_grpo: 48 groups), lr 3e-4 on LoRA weights -> 1e-4 for full fine-tuning of a small model, guidance 4.5 ->
   * 3.0. Kept: a = 0.7, 10 SDE steps to train and 40 ODE steps to evaluate, timestep fraction 0.99, clip 1e-4,
   * advantage clip 5, beta 0.04, per-prompt mean with global population std + 1e-4, two optimizer steps per batch.
   */
  static FlowGrpoConfig flowGrpo(FlowGrpoConfig c) {
    FlowGrpoConfig.Builder b = c.toBuilder();
    if (!b.hasSteps()) b.setSteps(100);
    if (!b.hasPromptsPerStep()) b.setPromptsPerStep(8);
    if (!b.hasGroupSize()) b.setGroupSize(8);
    if (!b.hasLearningRate()) b.setLearningRate(1e-4f);
    if (!b.hasNoiseLevel()) b.setNoiseLevel(0.7f);
    if (!b.hasSampleSteps()) b.setSampleSteps(10);
    if (!b.hasEvalSteps()) b.setEvalSteps(40);
    if (!b.hasTimestepFraction()) b.setTimestepFraction(0.99f);
    if (!b.hasGuidance()) b.setGuidance(3f);
    if (!b.hasClipRange()) b.setClipRange(1e-4f);
    if (!b.hasAdvClipMax()) b.setAdvClipMax(5f);
    if (!b.hasKlBeta()) b.setKlBeta(0.04f);
    if (!b.hasUpdatesPerBatch()) b.setUpdatesPerBatch(2);
    if (!b.hasMaxGradNorm()) b.setMaxGradNorm(1f);
    if (!b.hasWeightDecay()) b.setWeightDecay(1e-4f);
    if (!b.hasWarmupSteps()) b.setWarmupSteps(0);
    if (!b.hasStdEps()) b.setStdEps(1e-4f);
    if (!b.hasGlobalStd()) b.setGlobalStd(true);
    if (!b.hasSameInitialNoise()) b.setSameInitialNoise(false); // flow_grpo: every sample its own noise
    if (!b.hasSdeWindowSize()) b.setSdeWindowSize(0);          // flow_grpo: every step SDE
    // flow_grpo's fast pipeline: a window in steps [0, 5) of 10, where the layout is decided
    if (!b.hasSdeWindowEnd()) b.setSdeWindowEnd(Math.max(b.getSdeWindowSize(), b.getSampleSteps() / 2));
    if (!b.hasMaxSeconds()) b.setMaxSeconds(0f); // 0 = no wall-time limit
    if (!b.hasEvalEverySteps()) b.setEvalEverySteps(0); // 0 = use eval.every_steps
    return b.build();
  }

  static EvalSpec eval(EvalSpec e) {
    EvalSpec.Builder b = e.toBuilder();
    if (!b.hasEverySteps()) b.setEverySteps(10);
    if (!b.hasSamplesShown()) b.setSamplesShown(4);
    return b.build();
  }

  /** The worker roles of the cluster (troupe.actors.WorkerRole, which this module cannot see). */
  static final java.util.List<String> ROLES = java.util.List.of("policy", "reference", "rollout", "reward", "critic");

  /** One worker of each role before a role is first used, unless the spec asks for more. */
  static troupe.v1.PlacementSpec placement(troupe.v1.PlacementSpec p) {
    troupe.v1.PlacementSpec.Builder b = p.toBuilder();
    for (String role : ROLES) {
      if (!b.containsMinWorkers(role)) {
        b.putMinWorkers(role, 1);
      }
    }
    return b.build();
  }

  static RuntimeSpec runtime(RuntimeSpec r) {
    RuntimeSpec.Builder b = r.toBuilder();
    if (b.getDevice().isEmpty()) b.setDevice("cpu");
    if (!b.hasAskTimeoutSeconds()) b.setAskTimeoutSeconds(120);
    if (!b.hasWorkerWaitSeconds()) b.setWorkerWaitSeconds(30);
    if (!b.hasCheckpointEverySteps()) b.setCheckpointEverySteps(0);
    if (!b.hasResumeEverySteps()) b.setResumeEverySteps(10);
    if (!b.hasKeepResumePoints()) b.setKeepResumePoints(3);
    if (!b.hasMaxRecoveries()) b.setMaxRecoveries(3);
    return b.build();
  }
}
