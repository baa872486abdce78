package troupe.trainers.spec;

import java.util.ArrayList;
import java.util.List;
import troupe.trainers.algo.LossAggregation;
import troupe.trainers.model.CharTokenizer;
import troupe.trainers.tasks.Example;
import troupe.trainers.tasks.Task;
import troupe.trainers.tasks.TaskFactory;
import troupe.v1.RlConfig;
import troupe.v1.ModelSpec;
import troupe.v1.RuntimeSpec;
import troupe.v1.SftConfig;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowSpec;

/**
 * Checks a spec (with defaults applied) once, at submission, so nothing starts that cannot run. Every problem is
 * reported with its field path and the allowed values; all problems are listed at once.
 */
public final class SpecValidator {
  public static final List<String> REWARD_KINDS = List.of("exact_match");
  public static final List<String> IMAGE_REWARD_TERMS =
      List.of("composition", "composition_strict", "jpeg_compressibility");
  private static final String ALGORITHMS = "sft, grpo, flow_pretrain, flow_grpo";
  public static final List<String> DEVICES = List.of("cpu", "gpu");

  private final List<String> problems = new ArrayList<>();

  private SpecValidator() {}

  /** Applies defaults, validates, and returns the spec that will run. */
  public static WorkflowSpec resolve(WorkflowSpec spec) {
    WorkflowSpec full = SpecDefaults.apply(spec);
    SpecValidator v = new SpecValidator();
    v.check(full, spec);
    if (!v.problems.isEmpty()) {
      throw new SpecException(String.join("; ", v.problems));
    }
    return full;
  }

  private void check(WorkflowSpec s, WorkflowSpec original) {
    if (s.getStagesCount() == 0) {
      problem("stages", "at least one stage is required (allowed algorithms: " + ALGORITHMS + ")");
    }
    if (SpecDefaults.isImageWorkflow(s)) {
      checkImageWorkflow(s, original);
    } else {
      checkTextWorkflow(s, original);
    }
    atLeast("eval.every_steps", s.getEval().getEverySteps(), 1);
    atLeast("eval.samples_shown", s.getEval().getSamplesShown(), 0);
    checkRuntime(s.getRuntime());
  }

  private void checkTextWorkflow(WorkflowSpec s, WorkflowSpec original) {
    for (String field : List.of("image_model", "shapes", "image_reward")) {
      if (original.hasField(WorkflowSpec.getDescriptor().findFieldByName(field))) {
        problem(field, "only image workflows (stages flow_pretrain, flow_grpo) use it");
      }
    }
    checkModel(s.getModel());
    Task task = checkTask(s);
    if (!REWARD_KINDS.contains(s.getReward().getKind())) {
      problem("reward.kind", "unknown \"" + s.getReward().getKind() + "\"; allowed: " + String.join(", ", REWARD_KINDS));
    }
    for (int i = 0; i < s.getStagesCount(); i++) {
      checkStage(s.getStages(i), "stages[" + i + "]", s.getModel(), task);
    }
  }

  private void checkImageWorkflow(WorkflowSpec s, WorkflowSpec original) {
    if (original.hasModel()) {
      problem("model", "not used by image workflows; the network is configured under image_model");
    }
    if (original.hasTask()) {
      problem("task", "not used by image workflows; the image world is configured under shapes");
    }
    if (original.hasReward()) {
      problem("reward", "not used by image workflows; the reward is configured under image_reward");
    }
    ImageChecks.check(s, this);
    boolean mixReported = false;
    for (int i = 0; i < s.getStagesCount(); i++) {
      StageSpec stage = s.getStages(i);
      String path = "stages[" + i + "]";
      switch (stage.getAlgorithmCase()) {
        case FLOW_PRETRAIN -> ImageChecks.pretrain(stage.getFlowPretrain(), path + ".flow_pretrain", this);
        case FLOW_GRPO -> ImageChecks.flowGrpo(stage.getFlowGrpo(), path + ".flow_grpo", this);
        case ALGORITHM_NOT_SET -> problem(path, "no algorithm; set exactly one of: " + ALGORITHMS);
        default -> {
          if (!mixReported) { // the first text stage is named; the rest would repeat the same problem
            problem(path + "." + stage.getAlgorithmCase().name().toLowerCase(), "text stages cannot be mixed "
                + "with image stages (flow_pretrain, flow_grpo) in one workflow");
            mixReported = true;
          }
        }
      }
    }
  }

  private void checkModel(ModelSpec m) {
    atLeast("model.layers", m.getLayers(), 1);
    atLeast("model.d_model", m.getDModel(), 8);
    atLeast("model.heads", m.getHeads(), 1);
    atLeast("model.d_ff", m.getDFf(), 1);
    atLeast("model.max_seq_len", m.getMaxSeqLen(), 4);
    if (m.getHeads() > 0 && m.getDModel() % m.getHeads() != 0) {
      problem("model.d_model", "must be divisible by model.heads (" + m.getHeads() + "), got " + m.getDModel());
    } else if (m.getHeads() > 0 && (m.getDModel() / m.getHeads()) % 2 != 0) {
      problem("model.d_model", "d_model / heads must be even for rotary embeddings, got " + m.getDModel() / m.getHeads());
    }
    if (!m.getInitCheckpoint().isEmpty() && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(m.getInitCheckpoint()))) {
      problem("model.init_checkpoint", "no such file on the server: " + m.getInitCheckpoint());
    }
  }

  private Task checkTask(WorkflowSpec s) {
    var t = s.getTask();
    if (!TaskFactory.kinds().contains(t.getKind())) {
      problem("task.kind", "unknown \"" + t.getKind() + "\"; allowed: " + String.join(", ", TaskFactory.kinds()));
      return null;
    }
    atLeast("task.min_digits", t.getMinDigits(), 1);
    if (t.getMaxDigits() < t.getMinDigits()) {
      problem("task.max_digits", "must be >= task.min_digits (" + t.getMinDigits() + "), got " + t.getMaxDigits());
    }
    atLeast("task.labelled_size", t.getLabelledSize(), 1);
    atLeast("task.eval_size", t.getEvalSize(), 1);
    if (t.getKind().equals("jsonl") && t.getTrainFile().isEmpty()) {
      problem("task.train_file", "required for task.kind jsonl");
    }
    if (!problems.isEmpty()) {
      return null;
    }
    try {
      return TaskFactory.create(t, s.getSeed());
    } catch (IllegalArgumentException e) {
      problem("task", e.getMessage());
      return null;
    }
  }

  private void checkStage(StageSpec stage, String path, ModelSpec model, Task task) {
    switch (stage.getAlgorithmCase()) {
      case SFT -> checkSft(stage.getSft(), path + ".sft");
      case GRPO -> checkGrpo(stage.getGrpo(), path + ".grpo", model, task);
      default -> problem(path, "no algorithm; set exactly one of: " + ALGORITHMS);
    }
  }

  private void checkSft(SftConfig c, String path) {
    atLeast(path + ".steps", c.getSteps(), 1);
    atLeast(path + ".batch_size", c.getBatchSize(), 1);
    positive(path + ".learning_rate", c.getLearningRate());
    positive(path + ".max_grad_norm", c.getMaxGradNorm());
    nonNegative(path + ".weight_decay", c.getWeightDecay());
    nonNegative(path + ".max_seconds", c.getMaxSeconds());
    atLeast(path + ".warmup_steps", c.getWarmupSteps(), 0);
  }

  private void checkGrpo(RlConfig c, String path, ModelSpec model, Task task) {
    atLeast(path + ".steps", c.getSteps(), 1);
    atLeast(path + ".prompts_per_step", c.getPromptsPerStep(), 1);
    atLeast(path + ".group_size", c.getGroupSize(), 2);
    positive(path + ".learning_rate", c.getLearningRate());
    range(path + ".clip_low", c.getClipLow(), 0, 1);
    nonNegative(path + ".clip_high", c.getClipHigh());
    nonNegative(path + ".kl_beta", c.getKlBeta());
    try {
      LossAggregation.fromName(c.getLossAgg());
    } catch (IllegalArgumentException e) {
      problem(path + ".loss_agg", e.getMessage());
    }
    atLeast(path + ".updates_per_batch", c.getUpdatesPerBatch(), 1);
    positive(path + ".temperature", c.getTemperature());
    if (!(c.getTopP() > 0 && c.getTopP() <= 1)) {
      problem(path + ".top_p", "must be in (0, 1], got " + c.getTopP());
    }
    atLeast(path + ".max_new_tokens", c.getMaxNewTokens(), 1);
    positive(path + ".max_grad_norm", c.getMaxGradNorm());
    positive(path + ".std_eps", c.getStdEps());
    nonNegative(path + ".max_seconds", c.getMaxSeconds());
    atLeast(path + ".warmup_steps", c.getWarmupSteps(), 0);
    if (task != null) {
      int longest = longestPrompt(task) + 1 + c.getMaxNewTokens(); // BOS + prompt + completion
      if (longest > model.getMaxSeqLen()) {
        problem(path + ".max_new_tokens", "BOS + the longest prompt + max_new_tokens = " + longest
            + " tokens exceeds model.max_seq_len " + model.getMaxSeqLen());
      }
    }
  }

  private void checkRuntime(RuntimeSpec r) {
    if (!DEVICES.contains(r.getDevice())) {
      problem("runtime.device", "unknown \"" + r.getDevice() + "\"; allowed: " + String.join(", ", DEVICES));
    }
    atLeast("runtime.ask_timeout_seconds", r.getAskTimeoutSeconds(), 1);
    atLeast("runtime.worker_wait_seconds", r.getWorkerWaitSeconds(), 1);
    atLeast("runtime.checkpoint_every_steps", r.getCheckpointEverySteps(), 0);
  }

  static int longestPrompt(Task task) {
    int longest = 0;
    for (Example e : task.heldOut()) {
      longest = Math.max(longest, CharTokenizer.INSTANCE.encode(e.prompt()).length);
    }
    return longest;
  }

  void atLeast(String path, long value, long min) {
    if (value < min) {
      problem(path, "must be >= " + min + ", got " + value);
    }
  }

  void positive(String path, float value) {
    if (!(value > 0) || !Float.isFinite(value)) {
      problem(path, "must be a finite number > 0, got " + value);
    }
  }

  void nonNegative(String path, float value) {
    if (!(value >= 0) || !Float.isFinite(value)) {
      problem(path, "must be a finite number >= 0, got " + value);
    }
  }

  void range(String path, float value, float lo, float hi) {
    if (!(value >= lo && value <= hi)) {
      problem(path, "must be in [" + lo + ", " + hi + "], got " + value);
    }
  }

  void problem(String path, String text) {
    problems.add(path + ": " + text);
  }
}
