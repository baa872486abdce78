package troupe.trainers.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import troupe.trainers.algo.AdvantageEstimators;
import troupe.trainers.algo.DpoLoss;
import troupe.trainers.algo.LengthNormalizedLoss;
import troupe.trainers.algo.KlController;
import troupe.trainers.algo.KlEstimators;
import troupe.trainers.algo.LossAggregation;
import troupe.trainers.algo.PolicyLosses;
import troupe.trainers.model.CharTokenizer;
import troupe.trainers.tasks.Example;
import troupe.trainers.tasks.Task;
import troupe.trainers.tasks.TaskFactory;
import troupe.v1.RlConfig;
import troupe.v1.DpoConfig;
import troupe.v1.EvalStageConfig;
import troupe.v1.GeneratePreferencesConfig;
import troupe.v1.ModelSpec;
import troupe.v1.RewardModelConfig;
import troupe.v1.RewardSpec;
import troupe.v1.RuntimeSpec;
import troupe.v1.SftConfig;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowSpec;

/**
 * Checks a spec (with defaults applied) once, at submission, so nothing starts that cannot run and nothing the
 * server cannot afford: every number is bounded ({@link SpecLimits}, {@link CostChecks}) and every server file must
 * lie in an input folder ({@link InputRoots}). Every problem is reported with its field path and the allowed values;
 * all problems are listed at once. Nothing here throws but the final {@link SpecException}.
 */
public final class SpecValidator {
  public static final List<String> REWARD_KINDS = List.of("exact_match", "model", "remote");
  public static final List<String> IMAGE_REWARD_TERMS =
      List.of("composition", "composition_strict", "jpeg_compressibility");
  static final String ALGORITHMS = "sft, " + String.join(", ", RlPresets.NAMES)
      + ", eval, generate_preferences, dpo, reward_model, flow_pretrain, flow_grpo";
  public static final List<String> DEVICES = List.of("cpu", "gpu");

  private final List<String> problems = new ArrayList<>();
  /** The fields with a problem already: the check of every float does not report them twice. */
  private final Set<String> reported = new HashSet<>();
  private final InputRoots inputs;
  private int longestPromptTokens; // of the task's held-out prompts, once the task is built
  /** runtime.ask_timeout_seconds, which a remote reward's calls with their retries must fit in. */
  private int askTimeoutSeconds;

  private SpecValidator(InputRoots inputs) {
    this.inputs = inputs;
  }

  /**
   * Applies defaults, validates, and returns the spec that will run.
   *
   * @param inputs the folders whose files the spec may name (files earlier stages write are always allowed)
   */
  public static WorkflowSpec resolve(WorkflowSpec spec, InputRoots inputs) {
    WorkflowSpec full = SpecDefaults.apply(spec);
    SpecValidator v = new SpecValidator(inputs);
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
    count("stages", s.getStagesCount(), 0, SpecLimits.MAX_STAGES);
    boolean image = SpecDefaults.isImageWorkflow(s);
    askTimeoutSeconds = s.getRuntime().getAskTimeoutSeconds();
    Task task = null;
    if (image) {
      checkImageWorkflow(s, original);
    } else {
      task = checkTextWorkflow(s, original);
    }
    count("eval.every_steps", s.getEval().getEverySteps(), 1, SpecLimits.MAX_STEPS);
    count("eval.samples_shown", s.getEval().getSamplesShown(), 0, SpecLimits.MAX_SAMPLES_SHOWN);
    checkRuntime(s.getRuntime());
    checkPlacement(s.getPlacement());
    FloatFields.nonFinite(s).forEach((path, value) -> {
      if (!reported.contains(path)) {
        problem(path, "must be a finite number, got " + value);
      }
    });
    if (problems.isEmpty()) { // the estimates need every field in its range (and a text workflow's task)
      if (image) {
        CostChecks.image(s, this);
      } else {
        CostChecks.text(s, task.heldOut().size(), this);
      }
    }
  }

  private void checkPlacement(troupe.v1.PlacementSpec p) {
    p.getMinWorkersMap().forEach((role, count) -> {
      if (oneOf("placement.min_workers", role, SpecDefaults.ROLES)) {
        count("placement.min_workers." + role, count, 1, SpecLimits.MAX_MIN_WORKERS);
      }
    });
    if (p.getMinWorkersOrDefault("policy", 1) > 1 || p.getMinWorkersOrDefault("critic", 1) > 1) {
      problem("placement.min_workers", "a workflow trains one policy and one critic; more than 1 cannot be used");
    }
    for (int i = 0; i < p.getColocateCount(); i++) {
      oneOf("placement.colocate[" + i + "]", p.getColocate(i),
          SpecDefaults.ROLES.subList(1, SpecDefaults.ROLES.size())); // every role but the policy
    }
  }

  /** Returns the task, or null if it could not be made (a problem says why). */
  private Task checkTextWorkflow(WorkflowSpec s, WorkflowSpec original) {
    for (String field : List.of("image_model", "shapes", "image_reward")) {
      if (original.hasField(WorkflowSpec.getDescriptor().findFieldByName(field))) {
        problem(field, "only image workflows (stages flow_pretrain, flow_grpo) use it");
      }
    }
    checkModel(s.getModel());
    Task task = checkTask(s);
    checkReward("reward", s.getReward(), List.of());
    List<String> generated = new ArrayList<>();
    for (int i = 0; i < s.getStagesCount(); i++) {
      checkStage(s.getStages(i), "stages[" + i + "]", s.getModel(), task, generated);
      generated.addAll(SpecDefaults.outputs(s.getStages(i)));
    }
    return task;
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
    count("model.layers", m.getLayers(), 1, SpecLimits.MAX_LAYERS);
    count("model.d_model", m.getDModel(), 8, SpecLimits.MAX_D_MODEL);
    count("model.heads", m.getHeads(), 1, SpecLimits.MAX_HEADS);
    count("model.d_ff", m.getDFf(), 1, SpecLimits.MAX_D_FF);
    count("model.max_seq_len", m.getMaxSeqLen(), 4, SpecLimits.MAX_SEQ_LEN);
    if (m.getHeads() > 0 && m.getDModel() % m.getHeads() != 0) {
      problem("model.d_model", "must be divisible by model.heads (" + m.getHeads() + "), got " + m.getDModel());
    } else if (m.getHeads() > 0 && (m.getDModel() / m.getHeads()) % 2 != 0) {
      problem("model.d_model", "d_model / heads must be even for rotary embeddings, got " + m.getDModel() / m.getHeads());
    }
    if (!m.getInitCheckpoint().isEmpty()) {
      serverFile("model.init_checkpoint", m.getInitCheckpoint(), "");
    }
  }

  private Task checkTask(WorkflowSpec s) {
    var t = s.getTask();
    if (!TaskFactory.kinds().contains(t.getKind())) {
      problem("task.kind", "unknown \"" + t.getKind() + "\"; allowed: " + String.join(", ", TaskFactory.kinds()));
      return null;
    }
    count("task.min_digits", t.getMinDigits(), 1, SpecLimits.MAX_TASK_DIGITS);
    if (t.getMaxDigits() < t.getMinDigits()) {
      problem("task.max_digits", "must be >= task.min_digits (" + t.getMinDigits() + "), got " + t.getMaxDigits());
    }
    count("task.max_digits", t.getMaxDigits(), 1, SpecLimits.MAX_TASK_DIGITS);
    count("task.labelled_size", t.getLabelledSize(), 1, SpecLimits.MAX_LABELLED_SIZE);
    count("task.eval_size", t.getEvalSize(), 1, SpecLimits.MAX_EVAL_SIZE);
    if (t.getKind().equals("jsonl") && t.getTrainFile().isEmpty()) {
      problem("task.train_file", "required for task.kind jsonl");
    }
    taskFile("task.train_file", t.getTrainFile());
    taskFile("task.eval_file", t.getEvalFile());
    if (!problems.isEmpty()) {
      return null;
    }
    try {
      Task task = TaskFactory.create(t, s.getSeed());
      // every held-out prompt must tokenize; measured once here for every stage's generation budget below
      longestPromptTokens = longestPrompt(task);
      if (task.heldOut().size() > SpecLimits.MAX_EVAL_SIZE) { // a jsonl task's, from its files
        problem(t.getEvalFile().isEmpty() ? "task.train_file" : "task.eval_file", "holds "
            + task.heldOut().size() + " held-out examples; at most " + SpecLimits.MAX_EVAL_SIZE + " are evaluated");
      }
      return task;
    } catch (IllegalArgumentException e) {
      problem("task", e.getMessage());
      return null;
    }
  }

  /** A task file is read whole at submission: it must be allowed, exist and fit MAX_TASK_FILE_BYTES. */
  private void taskFile(String path, String file) {
    if (file.isEmpty() || !serverFile(path, file, "")) {
      return;
    }
    try {
      long size = Files.size(Path.of(file));
      if (size > SpecLimits.MAX_TASK_FILE_BYTES) {
        problem(path, "the file is " + size + " bytes; a task file is read into memory and may have at most "
            + SpecLimits.MAX_TASK_FILE_BYTES + " (for larger data use an sft stage's train_file, which is streamed)");
      }
    } catch (IOException e) {
      problem(path, "cannot read " + InputRoots.quoted(file) + ": " + e.getMessage());
    }
  }

  /** generated: the files earlier stages write into the workflow folder, which later stages may read. */
  private void checkStage(StageSpec stage, String path, ModelSpec model, Task task, List<String> generated) {
    switch (stage.getAlgorithmCase()) {
      case SFT -> checkSft(stage.getSft(), path + ".sft");
      case EVAL -> checkEval(stage.getEval(), path + ".eval", model, task);
      case DPO -> checkDpo(stage.getDpo(), path + ".dpo", generated);
      case REWARD_MODEL -> checkRewardModel(stage.getRewardModel(), path + ".reward_model", generated);
      case GENERATE_PREFERENCES -> checkGeneratePreferences(stage.getGeneratePreferences(),
          path + ".generate_preferences", model, task);
      default -> {
        if (RlPresets.isRl(stage)) {
          String rl = path + "." + RlPresets.algorithm(stage);
          checkRl(RlPresets.config(stage), rl, model, task);
          if (RlPresets.config(stage).hasReward()) {
            checkReward(rl + ".reward", RlPresets.config(stage).getReward(), generated);
          }
        } else {
          problem(path, "no algorithm; set exactly one of: " + ALGORITHMS);
        }
      }
    }
  }

  private void checkSft(SftConfig c, String path) {
    count(path + ".steps", c.getSteps(), 1, SpecLimits.MAX_STEPS);
    count(path + ".batch_size", c.getBatchSize(), 1, SpecLimits.MAX_BATCH_SIZE);
    learningRate(path + ".learning_rate", c.getLearningRate());
    positive(path + ".max_grad_norm", c.getMaxGradNorm());
    nonNegative(path + ".weight_decay", c.getWeightDecay());
    nonNegative(path + ".max_seconds", c.getMaxSeconds());
    count(path + ".warmup_steps", c.getWarmupSteps(), 0, SpecLimits.MAX_STEPS);
    oneOf(path + ".lr_schedule", c.getLrSchedule(), List.of("constant", "cosine"));
    range(path + ".min_lr_ratio", c.getMinLrRatio(), 0, 1);
    count(path + ".micro_batch_size", c.getMicroBatchSize(), 0, SpecLimits.MAX_BATCH_SIZE);
    count(path + ".max_bad_lines", c.getMaxBadLines(), 0, SpecLimits.MAX_BAD_LINES);
    if (!c.getTrainFile().isEmpty()) {
      checkInput(path + ".train_file", c.getTrainFile(), List.of());
    }
  }

  private void checkDpo(DpoConfig c, String path, List<String> generated) {
    List<String> types = new ArrayList<>(DpoLoss.TYPES);
    types.addAll(LengthNormalizedLoss.TYPES);
    types.add("kto");
    oneOf(path + ".loss_type", c.getLossType(), types);
    nonNegative(path + ".desirable_weight", c.getDesirableWeight());
    nonNegative(path + ".undesirable_weight", c.getUndesirableWeight());
    if (c.getLossType().equals("kto") && c.getBatchSize() < 2) {
      problem(path + ".batch_size", "kto needs at least 2 pairs a batch for its mismatched reference point, got "
          + c.getBatchSize());
    }
    nonNegative(path + ".simpo_gamma", c.getSimpoGamma());
    positive(path + ".beta", c.getBeta());
    if (c.getLossType().equals("cdpo") || c.getLossType().equals("robust")) {
      if (!(c.getLabelSmoothing() >= 0 && c.getLabelSmoothing() < 0.5f)) {
        problem(path + ".label_smoothing", "must be in [0, 0.5) for " + c.getLossType() + ", got "
            + c.getLabelSmoothing());
      }
    } else if (c.getLabelSmoothing() != 0) {
      problem(path + ".label_smoothing", "only cdpo and robust use it; got " + c.getLabelSmoothing() + " with "
          + c.getLossType());
    }
    checkPairTraining(path, new PairTraining(c.getSteps(), c.getBatchSize(), c.getLearningRate(), c.getMaxGradNorm(),
        c.getWarmupSteps(), c.getMaxSeconds(), c.getEvalFraction(), c.getMaxBadLines(), c.getTrainFile()),
        ", e.g. the output of an earlier generate_preferences stage", generated);
    nonNegative(path + ".nll_alpha", c.getNllAlpha());
  }

  private void checkRewardModel(RewardModelConfig c, String path, List<String> generated) {
    checkPairTraining(path, new PairTraining(c.getSteps(), c.getBatchSize(), c.getLearningRate(), c.getMaxGradNorm(),
        c.getWarmupSteps(), c.getMaxSeconds(), c.getEvalFraction(), c.getMaxBadLines(), c.getTrainFile()), "",
        generated);
    oneOf(path + ".init", c.getInit(), List.of("policy", "fresh"));
    plainFileName(path + ".output", c.getOutput(), ".safetensors");
  }

  /** What the stages that train on a file of pairs (dpo, reward_model) share. */
  private record PairTraining(int steps, int batchSize, float learningRate, float maxGradNorm, int warmupSteps,
      float maxSeconds, float evalFraction, int maxBadLines, String trainFile) {}

  private void checkPairTraining(String path, PairTraining c, String fileHint, List<String> generated) {
    count(path + ".steps", c.steps(), 1, SpecLimits.MAX_STEPS);
    count(path + ".batch_size", c.batchSize(), 1, SpecLimits.MAX_BATCH_SIZE);
    learningRate(path + ".learning_rate", c.learningRate());
    positive(path + ".max_grad_norm", c.maxGradNorm());
    count(path + ".warmup_steps", c.warmupSteps(), 0, SpecLimits.MAX_STEPS);
    nonNegative(path + ".max_seconds", c.maxSeconds());
    if (!(c.evalFraction() >= 0 && c.evalFraction() < 1)) {
      problem(path + ".eval_fraction", "must be in [0, 1), got " + c.evalFraction());
    }
    count(path + ".max_bad_lines", c.maxBadLines(), 0, SpecLimits.MAX_BAD_LINES);
    if (c.trainFile().isEmpty()) {
      problem(path + ".train_file", "required: a JSON-lines file of {\"prompt\", \"chosen\", \"rejected\"}" + fileHint);
    } else {
      checkInput(path + ".train_file", c.trainFile(), generated);
    }
  }

  private void checkReward(String path, RewardSpec r, List<String> generated) {
    magnitude(path + ".correct", r.getCorrect(), SpecLimits.MAX_ABS_REWARD);
    magnitude(path + ".wrong", r.getWrong(), SpecLimits.MAX_ABS_REWARD);
    if (oneOf(path + ".kind", r.getKind(), REWARD_KINDS) && r.getKind().equals("model")
        && r.getCheckpoint().isEmpty()) {
      problem(path + ".checkpoint", "required with kind model: a reward_model stage's output or a server file");
    }
    if (!r.getCheckpoint().isEmpty()) { // checked with any kind: a stored spec names no file it may not read
      checkInput(path + ".checkpoint", r.getCheckpoint(), generated);
    }
    count(path + ".timeout_seconds", r.getTimeoutSeconds(), 1, SpecLimits.MAX_REWARD_TIMEOUT_SECONDS);
    count(path + ".max_batch", r.getMaxBatch(), 1, SpecLimits.MAX_REWARD_BATCH);
    if (r.getKind().equals("remote")) {
      checkRemoteReward(path, r);
    } else {
      for (String field : List.of("target", "token", "config", "tls", "ca_certificate")) { // numbers: defaults
        if (r.hasField(RewardSpec.getDescriptor().findFieldByName(field))) {
          problem(path + "." + field, "only reward kind remote uses it");
        }
      }
    }
  }

  private void checkRemoteReward(String path, RewardSpec r) {
    String target = r.getTarget();
    if (target.isEmpty()) {
      problem(path + ".target", "required with kind remote: HOST:PORT of a RewardService (reward_service.proto)");
    } else if (!RemoteRewardCalls.validTarget(target)) {
      problem(path + ".target", "must be HOST:PORT (e.g. 127.0.0.1:50070 or [::1]:50070) with a port in "
          + "[1, 65535], got \"" + target + "\"");
    }
    String pemProblem = RemoteRewardCalls.certificateProblem(r.getCaCertificate());
    if (pemProblem != null) {
      problem(path + ".ca_certificate", pemProblem);
    }
    long worst = (long) RemoteRewardCalls.ATTEMPTS * r.getTimeoutSeconds() + RemoteRewardCalls.backoffSeconds();
    if (r.getTimeoutSeconds() >= 1 && worst >= askTimeoutSeconds) {
      problem(path + ".timeout_seconds", RemoteRewardCalls.ATTEMPTS + " attempts of " + r.getTimeoutSeconds()
          + " s and their backoff take up to " + worst + " s, which must be less than runtime.ask_timeout_seconds ("
          + askTimeoutSeconds + "); lower timeout_seconds or raise runtime.ask_timeout_seconds");
    }
  }

  /** A file a stage reads: written by an earlier stage of this workflow, or a file in an input folder. */
  private void checkInput(String path, String file, List<String> generated) {
    if (!generated.contains(file)) {
      serverFile(path, file, ", and no earlier stage writes it"
          + (generated.isEmpty() ? "" : " (earlier stages write: " + String.join(", ", generated) + ")"));
    }
  }

  /**
   * Reports a server file that is not a valid path, lies outside the input folders (checked first, so a client
   * cannot learn which files exist elsewhere) or is not a regular file; true when it may be read.
   */
  boolean serverFile(String path, String file, String missingHint) {
    String refusal = inputs.refusal(file);
    if (refusal != null) {
      problem(path, refusal);
      return false;
    }
    if (!Files.isRegularFile(Path.of(file))) {
      problem(path, "no such file on the server" + missingHint + ": " + InputRoots.quoted(file));
      return false;
    }
    return true;
  }

  /** Outputs stay inside the workflow folder: a plain file name, nothing that climbs out of it. */
  private void plainFileName(String path, String name, String suffix) {
    if (!name.matches("[A-Za-z0-9._-]+") || name.startsWith(".") || !name.endsWith(suffix)) {
      problem(path, "must be a plain file name ending in " + suffix + " (letters, digits, . _ -), got \"" + name
          + "\"");
    }
  }

  private void checkEval(EvalStageConfig c, String path, ModelSpec model, Task task) {
    count(path + ".samples_per_prompt", c.getSamplesPerPrompt(), 1, SpecLimits.MAX_SAMPLES_PER_PROMPT);
    for (int i = 0; i < c.getKCount(); i++) {
      if (c.getK(i) < 1 || c.getK(i) > c.getSamplesPerPrompt()) {
        problem(path + ".k[" + i + "]", "must be in [1, samples_per_prompt " + c.getSamplesPerPrompt() + "], got "
            + c.getK(i));
      }
    }
    positive(path + ".temperature", c.getTemperature());
    count(path + ".prompts", c.getPrompts(), 0, SpecLimits.MAX_EVAL_SIZE);
    checkGenerationBudget(path + ".max_new_tokens", c.getMaxNewTokens(), model, task);
  }

  private void checkGeneratePreferences(GeneratePreferencesConfig c, String path, ModelSpec model, Task task) {
    count(path + ".prompts", c.getPrompts(), 1, SpecLimits.MAX_PREFERENCE_PROMPTS);
    count(path + ".samples_per_prompt", c.getSamplesPerPrompt(), 2, SpecLimits.MAX_SAMPLES_PER_PROMPT);
    positive(path + ".temperature", c.getTemperature());
    plainFileName(path + ".output", c.getOutput(), ".jsonl");
    checkGenerationBudget(path + ".max_new_tokens", c.getMaxNewTokens(), model, task);
  }

  /** 0 means the task's longest answer + EOS; either way BOS + prompt + completion must fit the model. */
  private void checkGenerationBudget(String path, int maxNewTokens, ModelSpec model, Task task) {
    count(path, maxNewTokens, 0, SpecLimits.MAX_SEQ_LEN);
    if (task != null && maxNewTokens <= SpecLimits.MAX_SEQ_LEN) {
      int budget = maxNewTokens > 0 ? maxNewTokens : task.maxAnswerLength() + 1;
      int longest = longestPromptTokens + 1 + budget;
      if (longest > model.getMaxSeqLen()) {
        problem(path, "BOS + the longest prompt + max_new_tokens (" + budget + ") = " + longest
            + " tokens exceeds model.max_seq_len " + model.getMaxSeqLen());
      }
    }
  }

  private void checkRl(RlConfig c, String path, ModelSpec model, Task task) {
    count(path + ".steps", c.getSteps(), 1, SpecLimits.MAX_STEPS);
    count(path + ".prompts_per_step", c.getPromptsPerStep(), 1, SpecLimits.MAX_PROMPTS_PER_STEP);
    learningRate(path + ".learning_rate", c.getLearningRate());
    count(path + ".updates_per_batch", c.getUpdatesPerBatch(), 1, SpecLimits.MAX_UPDATES_PER_BATCH);
    positive(path + ".temperature", c.getTemperature());
    if (!(c.getTopP() > 0 && c.getTopP() <= 1)) {
      problem(path + ".top_p", "must be in (0, 1], got " + c.getTopP());
    }
    atLeast(path + ".max_new_tokens", c.getMaxNewTokens(), 1);
    positive(path + ".max_grad_norm", c.getMaxGradNorm());
    nonNegative(path + ".max_seconds", c.getMaxSeconds());
    count(path + ".warmup_steps", c.getWarmupSteps(), 0, SpecLimits.MAX_STEPS);
    count(path + ".max_bad_steps", c.getMaxBadSteps(), 1, SpecLimits.MAX_STEPS);

    String estimator = c.getAdvantageEstimator();
    if (oneOf(path + ".advantage_estimator", estimator, AdvantageEstimators.names())) {
      boolean grouped = !estimator.equals("reinforce_pp") && !estimator.equals("gae");
      count(path + ".group_size", c.getGroupSize(), grouped ? 2 : 1, SpecLimits.MAX_GROUP_SIZE);
      boolean critic = !c.getCriticInit().equals("none");
      if (estimator.equals("gae") && !critic) {
        problem(path + ".critic_init", "advantage_estimator gae needs a critic; allowed: policy, fresh");
      } else if (!estimator.equals("gae") && critic) {
        problem(path + ".critic_init", "advantage_estimator " + estimator + " uses no critic; set none");
      }
    }
    positive(path + ".std_eps", c.getStdEps());
    range(path + ".gamma", c.getGamma(), 0, 1);
    range(path + ".gae_lambda", c.getGaeLambda(), 0, 1);

    String loss = c.getPolicyLoss();
    oneOf(path + ".policy_loss", loss, PolicyLosses.names());
    if (!(c.getClipLow() >= 0 && c.getClipLow() < 1)) {
      problem(path + ".clip_low", "must be in [0, 1), got " + c.getClipLow());
    }
    if (!(c.getClipHigh() >= c.getClipLow()) || !Float.isFinite(c.getClipHigh())) {
      problem(path + ".clip_high", "must be >= clip_low (" + c.getClipLow() + "), got " + c.getClipHigh());
    }
    if (loss.equals("dual_clip") && !(c.getDualClipC() > 1 && Float.isFinite(c.getDualClipC()))) {
      problem(path + ".dual_clip_c", "policy_loss dual_clip needs a finite c > 1, got " + c.getDualClipC());
    }
    nonNegative(path + ".log_ratio_clamp", c.getLogRatioClamp());
    oneOf(path + ".loss_agg", c.getLossAgg(), LossAggregation.names());
    if (loss.equals("gspo")) {
      if (!c.getLossAgg().equals("seq-mean-token-mean")) {
        problem(path + ".loss_agg", "policy_loss gspo averages over sequences; it must be seq-mean-token-mean");
      }
      if (!List.of("grpo", "dr_grpo", "rloo").contains(estimator)) {
        problem(path + ".advantage_estimator", "policy_loss gspo needs one advantage per sequence; allowed: "
            + "grpo, dr_grpo, rloo");
      }
    }

    String placement = c.getKlPlacement();
    oneOf(path + ".kl_placement", placement, RlPresets.KL_PLACEMENTS);
    oneOf(path + ".kl_estimator", c.getKlEstimator(), KlEstimators.names());
    oneOf(path + ".kl_controller", c.getKlController(), KlController.names());
    nonNegative(path + ".kl_beta", c.getKlBeta());
    if (placement.equals("none") && c.getKlBeta() != 0) {
      problem(path + ".kl_beta", "must be 0 with kl_placement none, got " + c.getKlBeta());
    }
    if (placement.equals("loss") && c.getKlEstimator().equals("k1") && c.getKlBeta() > 0) {
      problem(path + ".kl_estimator", "k1 as a loss term has zero expected gradient; use k2 or k3 in the loss, "
          + "or kl_placement reward");
    }
    if (c.getKlController().equals("adaptive")) {
      positive(path + ".kl_target", c.getKlTarget());
      atLeast(path + ".kl_horizon", c.getKlHorizon(), 1);
    }
    atMost(path + ".kl_horizon", c.getKlHorizon(), SpecLimits.MAX_KL_HORIZON);
    nonNegative(path + ".entropy_coef", c.getEntropyCoef());

    if (c.getDynamicSampling()) {
      atLeast(path + ".max_generation_rounds", c.getMaxGenerationRounds(), 1);
    }
    atMost(path + ".max_generation_rounds", c.getMaxGenerationRounds(), SpecLimits.MAX_GENERATION_ROUNDS);
    if (c.getOverlongBuffer() < 0 || c.getOverlongBuffer() >= c.getMaxNewTokens()) {
      problem(path + ".overlong_buffer", "must be in [0, max_new_tokens " + c.getMaxNewTokens() + "), got "
          + c.getOverlongBuffer());
    }
    nonNegative(path + ".overlong_penalty", c.getOverlongPenalty());

    oneOf(path + ".critic_init", c.getCriticInit(), RlPresets.CRITIC_INITS);
    if (!c.getCriticInit().equals("none")) {
      learningRate(path + ".critic_learning_rate", c.getCriticLearningRate());
      nonNegative(path + ".value_clip", c.getValueClip());
      atLeast(path + ".critic_warmup_steps", c.getCriticWarmupSteps(), 0);
    }
    atMost(path + ".critic_warmup_steps", c.getCriticWarmupSteps(), SpecLimits.MAX_STEPS);
    checkGenerationBudget(path + ".max_new_tokens", c.getMaxNewTokens(), model, task);
  }

  /** Reports a value outside the allowed names; true when it is allowed. */
  private boolean oneOf(String path, String value, List<String> allowed) {
    if (allowed.contains(value)) {
      return true;
    }
    problem(path, "unknown \"" + value + "\"; allowed: " + String.join(", ", allowed));
    return false;
  }

  private void checkRuntime(RuntimeSpec r) {
    if (!DEVICES.contains(r.getDevice())) {
      problem("runtime.device", "unknown \"" + r.getDevice() + "\"; allowed: " + String.join(", ", DEVICES));
    }
    count("runtime.ask_timeout_seconds", r.getAskTimeoutSeconds(), 1, SpecLimits.MAX_WAIT_SECONDS);
    count("runtime.worker_wait_seconds", r.getWorkerWaitSeconds(), 1, SpecLimits.MAX_WAIT_SECONDS);
    count("runtime.checkpoint_every_steps", r.getCheckpointEverySteps(), 0, SpecLimits.MAX_STEPS);
    count("runtime.resume_every_steps", r.getResumeEverySteps(), 0, SpecLimits.MAX_STEPS);
    count("runtime.keep_resume_points", r.getKeepResumePoints(), 1, SpecLimits.MAX_KEEP_RESUME_POINTS);
    count("runtime.max_recoveries", r.getMaxRecoveries(), 0, SpecLimits.MAX_RECOVERIES);
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

  /** For bounds whose lower end is checked only where the field is used. */
  void atMost(String path, long value, long max) {
    if (value > max) {
      problem(path, "must be <= " + max + ", got " + value);
    }
  }

  /** An integer in [min, max]; the max is one of {@link SpecLimits}. */
  void count(String path, long value, long min, long max) {
    if (value < min) {
      problem(path, "must be >= " + min + ", got " + value);
    } else if (value > max) {
      problem(path, "must be in [" + min + ", " + max + "], got " + value);
    }
  }

  void positive(String path, float value) {
    if (!(value > 0) || !Float.isFinite(value)) {
      problem(path, "must be a finite number > 0, got " + value);
    }
  }

  void learningRate(String path, float value) {
    if (!(value > 0) || !Float.isFinite(value)) {
      positive(path, value);
    } else if (value > SpecLimits.MAX_LEARNING_RATE) {
      problem(path, "must be in (0, " + SpecLimits.MAX_LEARNING_RATE + "], got " + value);
    }
  }

  void magnitude(String path, float value, float max) {
    if (!(Math.abs(value) <= max)) {
      problem(path, "must be a finite number in [" + -max + ", " + max + "], got " + value);
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
    reported.add(path);
  }
}
