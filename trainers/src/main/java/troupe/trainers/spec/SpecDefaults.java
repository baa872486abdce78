package troupe.trainers.spec;

import troupe.v1.EvalSpec;
import troupe.v1.GrpoConfig;
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
 * The defaults are sized for 2 CPU cores: a 0.4M-parameter transformer on short arithmetic.
 */
public final class SpecDefaults {
  public static final long SEED = 1;

  private SpecDefaults() {}

  public static WorkflowSpec apply(WorkflowSpec spec) {
    WorkflowSpec.Builder b = spec.toBuilder();
    if (b.getName().isEmpty()) {
      b.setName("workflow");
    }
    if (!b.hasSeed()) {
      b.setSeed(SEED);
    }
    b.setModel(model(b.getModel()));
    b.setTask(task(b.getTask()));
    b.setReward(reward(b.getReward()));
    for (int i = 0; i < b.getStagesCount(); i++) {
      b.setStages(i, stage(b.getStages(i), i));
    }
    b.setEval(eval(b.getEval()));
    b.setRuntime(runtime(b.getRuntime()));
    return b.build();
  }

  static ModelSpec model(ModelSpec m) {
    ModelSpec.Builder b = m.toBuilder();
    if (!b.hasLayers()) b.setLayers(2);
    if (!b.hasDModel()) b.setDModel(128);
    if (!b.hasHeads()) b.setHeads(4);
    if (!b.hasDFf()) b.setDFf(4 * b.getDModel());
    if (!b.hasMaxSeqLen()) b.setMaxSeqLen(32);
    return b.build();
  }

  static TaskSpec task(TaskSpec t) {
    TaskSpec.Builder b = t.toBuilder();
    if (b.getKind().isEmpty()) b.setKind("addition");
    if (!b.hasMinDigits()) b.setMinDigits(1);
    if (!b.hasMaxDigits()) b.setMaxDigits(2);
    if (!b.hasLabelledSize()) b.setLabelledSize(256);
    if (!b.hasEvalSize()) b.setEvalSize(200);
    return b.build();
  }

  static RewardSpec reward(RewardSpec r) {
    RewardSpec.Builder b = r.toBuilder();
    if (b.getKind().isEmpty()) b.setKind("exact_match");
    if (!b.hasCorrect()) b.setCorrect(1f);
    if (!b.hasWrong()) b.setWrong(0f);
    return b.build();
  }

  static StageSpec stage(StageSpec s, int index) {
    StageSpec.Builder b = s.toBuilder();
    switch (s.getAlgorithmCase()) {
      case SFT -> b.setSft(sft(s.getSft()));
      case GRPO -> b.setGrpo(grpo(s.getGrpo()));
      default -> { } // the validator names the missing algorithm
    }
    if (b.getName().isEmpty()) {
      String algorithm = s.getAlgorithmCase() == StageSpec.AlgorithmCase.ALGORITHM_NOT_SET
          ? "stage" : s.getAlgorithmCase().name().toLowerCase();
      b.setName(algorithm + "-" + (index + 1));
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
    return b.build();
  }

  /**
   * GRPO defaults: algorithms.md 4.5 scaled to a small model on CPU (a larger lr than the 1e-6 used for billions of
   * parameters, fewer prompts per step); 1e-4 with G = 16 was the setting that learned on addition.
   */
  static GrpoConfig grpo(GrpoConfig c) {
    GrpoConfig.Builder b = c.toBuilder();
    if (!b.hasSteps()) b.setSteps(100);
    if (!b.hasPromptsPerStep()) b.setPromptsPerStep(16);
    if (!b.hasGroupSize()) b.setGroupSize(16);
    if (!b.hasLearningRate()) b.setLearningRate(1e-4f);
    if (!b.hasClipLow()) b.setClipLow(0.2f);
    if (!b.hasClipHigh()) b.setClipHigh(b.getClipLow());
    if (!b.hasKlBeta()) b.setKlBeta(0.02f);
    if (b.getLossAgg().isEmpty()) b.setLossAgg("token-mean");
    if (!b.hasUpdatesPerBatch()) b.setUpdatesPerBatch(1);
    if (!b.hasTemperature()) b.setTemperature(1f);
    if (!b.hasTopP()) b.setTopP(1f);
    if (!b.hasMaxNewTokens()) b.setMaxNewTokens(6);
    if (!b.hasMaxGradNorm()) b.setMaxGradNorm(1f);
    if (!b.hasStdEps()) b.setStdEps(1e-4f);
    if (!b.hasMaxSeconds()) b.setMaxSeconds(0f);
    if (!b.hasWarmupSteps()) b.setWarmupSteps(10);
    return b.build();
  }

  static EvalSpec eval(EvalSpec e) {
    EvalSpec.Builder b = e.toBuilder();
    if (!b.hasEverySteps()) b.setEverySteps(10);
    if (!b.hasSamplesShown()) b.setSamplesShown(4);
    return b.build();
  }

  static RuntimeSpec runtime(RuntimeSpec r) {
    RuntimeSpec.Builder b = r.toBuilder();
    if (b.getDevice().isEmpty()) b.setDevice("cpu");
    if (!b.hasAskTimeoutSeconds()) b.setAskTimeoutSeconds(120);
    if (!b.hasWorkerWaitSeconds()) b.setWorkerWaitSeconds(30);
    if (!b.hasCheckpointEverySteps()) b.setCheckpointEverySteps(0);
    return b.build();
  }
}
