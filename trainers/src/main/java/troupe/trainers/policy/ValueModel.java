package troupe.trainers.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import troupe.trainers.algo.DpoLoss;
import troupe.trainers.algo.ValueLoss;
import troupe.trainers.model.NoGrad;
import troupe.trainers.model.ParameterFactory;
import troupe.trainers.model.TensorCodec;
import troupe.trainers.model.TransformerLM;
import troupe.trainers.model.ValueHead;
import troupe.v1.CriticBatch;
import troupe.v1.FloatList;
import troupe.v1.ModelSpec;
import troupe.v1.OptimizerSettings;
import troupe.v1.PreferenceBatch;
import troupe.v1.PreferenceMetrics;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepResponse;
import troupe.v1.Weights;

/**
 * The PPO critic: a transformer of the policy's architecture plus a scalar value head on its final-normed hidden
 * states, trained with the clipped value loss (algorithms.md 2.3) by AdamW with global norm clipping.
 *
 * <p>The value of completion token k is read at the column whose logits would predict that token (TokenBatch's
 * grid, column {@code |prompt| + k}): the state <em>before</em> the token, as verl/TRL slice {@code values[:, P-1:-1]}
 * (section 2.2). The transformer's lm_head is carried along so policy weights load one to one, but it is never in
 * the critic's graph and the optimizer leaves it alone. The value head starts at zero ({@link ValueHead}).
 */
public final class ValueModel extends VersionedModel {
  public static final String HEAD_PREFIX = "value_head.";
  private static final String LM_HEAD_PREFIX = "lm_head.";
  public static final String FULL_WEIGHTS = "critic.safetensors";
  public static final String FULL_OPTIMIZER = "critic-optimizer.safetensors";

  private final TransformerLM backbone;
  private final ValueHead head;
  private final OptimizerStep optimizer = new OptimizerStep();

  public ValueModel(ModelSpec spec, long seed, String device) {
    super(device);
    this.backbone = TransformerLM.create(manager, LanguageModel.config(spec), seed);
    this.head = new ValueHead(manager, backbone.config().dModel());
  }

  public TransformerLM network() {
    return backbone;
  }

  /** Transformer parameters (embed.* ... lm_head.*) followed by value_head.weight and value_head.bias. */
  @Override
  protected LinkedHashMap<String, NDArray> parameters() {
    LinkedHashMap<String, NDArray> out = backbone.parameters();
    ParameterFactory.collect(HEAD_PREFIX, head, out);
    return out;
  }

  /** What the optimizer updates: everything but the unused lm_head, whose gradient would stay zero. */
  private LinkedHashMap<String, NDArray> trainable() {
    LinkedHashMap<String, NDArray> out = parameters();
    out.keySet().removeIf(name -> name.startsWith(LM_HEAD_PREFIX));
    return out;
  }

  /** Full critic weights: the value head is checked before the transformer, and nothing is copied unless all pass. */
  @Override
  protected void loadParameters(Map<String, NDArray> values) {
    LinkedHashMap<String, NDArray> ownHead = new LinkedHashMap<>();
    ParameterFactory.collect(HEAD_PREFIX, head, ownHead);
    Map<String, NDArray> transformer = new LinkedHashMap<>(values);
    transformer.keySet().removeIf(name -> name.startsWith(HEAD_PREFIX));
    for (String name : values.keySet()) {
      if (name.startsWith(HEAD_PREFIX) && !ownHead.containsKey(name)) {
        throw new IllegalArgumentException("unexpected tensor '" + name + "' (not a parameter of this model)");
      }
    }
    for (Map.Entry<String, NDArray> own : ownHead.entrySet()) {
      NDArray value = values.get(own.getKey());
      if (value == null) {
        throw new IllegalArgumentException("missing tensor '" + own.getKey() + "' (policy weights have no value "
            + "head: load them with backbone_only)");
      }
      if (!value.getShape().equals(own.getValue().getShape()) || value.getDataType() != DataType.FLOAT32) {
        throw new IllegalArgumentException("tensor '" + own.getKey() + "' is " + value.getDataType() + " "
            + value.getShape() + ", expected float32 " + own.getValue().getShape());
      }
    }
    backbone.loadParameters(transformer); // checks all of its tensors before copying any
    for (Map.Entry<String, NDArray> own : ownHead.entrySet()) {
      values.get(own.getKey()).copyTo(own.getValue());
    }
  }

  /**
   * Loads full critic weights, or with {@code backboneOnly} just the transformer from a policy's weights: any
   * value_head.* tensors in them are ignored, the head and the version stay as they are. Every transformer tensor is
   * checked before any is copied.
   */
  public void loadWeights(Weights weights, boolean backboneOnly) {
    if (!backboneOnly) {
      loadWeights(weights);
      return;
    }
    try (NDManager scratch = manager.newSubManager()) {
      LinkedHashMap<String, NDArray> values = TensorCodec.fromProto(weights.getTensorsList(), scratch);
      values.keySet().removeIf(name -> name.startsWith(HEAD_PREFIX));
      backbone.loadParameters(values);
    }
  }

  /**
   * The critic's whole state, for a resume point: weights and version ({@link #FULL_WEIGHTS}) and its optimizer's
   * moments, update count and settings ({@link #FULL_OPTIMIZER}). The names differ from the policy's, so both fit in
   * one folder.
   */
  public void saveFull(Path folder) throws IOException {
    saveCheckpoint(folder.resolve(FULL_WEIGHTS), Map.of());
    optimizer.save(folder.resolve(FULL_OPTIMIZER));
  }

  /** Restores {@link #saveFull}: weights, version and optimizer state. */
  public void loadFull(Path folder) throws IOException {
    loadVersioned(folder.resolve(FULL_WEIGHTS));
    optimizer.load(folder.resolve(FULL_OPTIMIZER), trainable(), manager);
  }

  /** Per-completion-token values V (the state before each token), no gradients, {@code microBatch} rows at a time. */
  public List<float[]> values(List<TokenSequence> rows, int microBatch) {
    return NoGrad.run(() -> {
      List<float[]> out = new ArrayList<>(rows.size());
      int step = microBatch > 0 ? microBatch : Math.max(1, rows.size());
      for (int from = 0; from < rows.size(); from += step) {
        List<TokenSequence> chunk = rows.subList(from, Math.min(rows.size(), from + step));
        try (NDManager scope = manager.newSubManager()) {
          TokenBatch tb = TokenBatch.of(scope, chunk, LanguageModel.TOKENIZER.bos(), LanguageModel.TOKENIZER.pad());
          out.addAll(tb.fromGrid(forward(tb)));
        }
      }
      return out;
    });
  }

  /**
   * Reward-model scores: the value at each sequence's last completion token, the state that has read the whole
   * answer (the EOS is what it predicts). No gradients.
   */
  public float[] scores(List<TokenSequence> rows) {
    return NoGrad.run(() -> {
      try (NDManager scope = manager.newSubManager()) {
        TokenBatch tb = TokenBatch.of(scope, rows, LanguageModel.TOKENIZER.bos(), LanguageModel.TOKENIZER.pad());
        return lastScores(scope, tb, rows).toFloatArray();
      }
    });
  }

  /**
   * One Bradley-Terry step of a reward model on pairs (InstructGPT's RM loss): {@code -log sigmoid(r_w - r_l)},
   * the sigmoid DPO loss with beta 1 and no reference. With {@code evaluate_only} only the metrics (held-out pairs).
   */
  public TrainStepResponse pairwiseStep(PreferenceBatch batch, OptimizerSettings settings) {
    long started = System.nanoTime();
    int pairs = batch.getChosenCount();
    if (pairs == 0 || batch.getRejectedCount() != pairs) {
      throw new IllegalArgumentException("a preference batch needs as many rejected as chosen rows (at least one), "
          + "got " + pairs + " and " + batch.getRejectedCount());
    }
    List<TokenSequence> rows = new ArrayList<>(batch.getChosenList());
    rows.addAll(batch.getRejectedList());
    PreferenceMetrics.Builder metrics = PreferenceMetrics.newBuilder();
    double[] loss = new double[1];
    GradientStep.MicroBatchLoss pairLoss = (scope, tb, from) -> {
      NDArray r = lastScores(scope, tb, rows);
      NDArray chosen = r.get("0:" + pairs);
      NDArray rejected = r.get(pairs + ":");
      NDArray zero = chosen.zerosLike();
      DpoLoss.Result result = DpoLoss.compute(chosen, rejected, zero, zero, "sigmoid", 1f, 0f);
      loss[0] = result.loss().getFloat();
      metrics.setRewardsChosen(result.rewardsChosen()).setRewardsRejected(result.rewardsRejected())
          .setMargin(result.rewardsChosen() - result.rewardsRejected()).setAccuracy(result.accuracy());
      return result.loss();
    };
    TrainStepResponse.Builder out = TrainStepResponse.newBuilder();
    if (batch.getEvaluateOnly()) {
      NoGrad.run(() -> {
        try (NDManager scope = manager.newSubManager()) {
          return pairLoss.loss(scope, TokenBatch.of(scope, rows, LanguageModel.TOKENIZER.bos(),
              LanguageModel.TOKENIZER.pad()), 0);
        }
      });
    } else {
      // chosen i and rejected i meet in one loss, so the whole batch is one micro-batch
      out.setGradNorm(GradientStep.run(optimizer, settings, trainable(), version, manager, rows, 0, 0, pairLoss));
      version++;
    }
    return out.setPolicyVersion(version).setLoss(loss[0]).setPreference(metrics)
        .setSeconds((System.nanoTime() - started) / 1e9).build();
  }

  /** [B] values at each row's last completion column. */
  private NDArray lastScores(NDManager scope, TokenBatch tb, List<TokenSequence> rows) {
    List<float[]> last = new ArrayList<>(rows.size());
    for (TokenSequence row : rows) {
      if (row.getCompletionCount() == 0) {
        throw new IllegalArgumentException("a sequence without completion tokens has no reward-model score");
      }
      float[] oneHot = new float[row.getCompletionCount()];
      oneHot[oneHot.length - 1] = 1f;
      last.add(oneHot);
    }
    return forward(tb).mul(tb.onGrid(scope, last)).sum(new int[] {1});
  }

  /** Values on the batch's grid, [B,S]; differentiable when grad mode is on. */
  private NDArray forward(TokenBatch tb) {
    return head.forward(backbone.hidden(tb.inputs, tb.positions, tb.keyMask));
  }

  /**
   * {@code updates} optimizer steps of the clipped value loss on one rollout batch, each over all micro-batches
   * (gradient accumulation, token-mean over the whole step). Returns the mean value loss, clip fraction and gradient
   * norm over the applied updates and the new version (one more per call). An update with a non-finite loss or
   * gradient changes nothing and ends the call, reported in skipped_updates and skip_reason, as for the policy.
   */
  public TrainStepResponse trainStep(CriticBatch batch, OptimizerSettings settings, int microBatch) {
    long started = System.nanoTime();
    List<TokenSequence> rows = batch.getRolloutsList();
    float clip = batch.getValueClip();
    if (!(clip >= 0f) || Float.isInfinite(clip)) {
      throw new IllegalArgumentException("value_clip must be a finite number >= 0 (0 = unclipped), got " + clip);
    }
    List<float[]> returns = perToken("returns", batch.getReturnsList(), rows);
    // Unclipped, V_old is not read: it may be left out.
    List<float[]> old = clip == 0f && batch.getOldValuesCount() == 0
        ? zeros(rows) : perToken("old_values", batch.getOldValuesList(), rows);
    float tokens = 0;
    for (TokenSequence r : rows) {
      tokens += r.getCompletionCount();
    }
    if (tokens == 0) {
      throw new IllegalArgumentException("the critic batch has no completion tokens to train on");
    }
    final float stepTokens = tokens;
    int updates = Math.max(1, batch.getUpdates());
    double loss = 0;
    double clipFraction = 0;
    double gradNorm = 0;
    int applied = 0;
    TrainStepResponse.Builder out = TrainStepResponse.newBuilder();
    for (int u = 0; u < updates; u++) {
      double[] sums = new double[2];
      try {
        gradNorm += GradientStep.run(optimizer, settings, trainable(), version, manager, rows, microBatch, 0,
            (scope, tb, from) -> {
              int to = from + tb.rows();
              ValueLoss.Result r = ValueLoss.compute(forward(tb), tb.onGrid(scope, old.subList(from, to)),
                  tb.onGrid(scope, returns.subList(from, to)), tb.completionMask, clip, stepTokens);
              sums[0] += r.loss().getFloat();
              sums[1] += r.clipFraction() * r.tokens() / stepTokens;
              return r.loss();
            });
      } catch (OptimizerStep.NonFiniteGradient e) {
        // As the policy does: the weights did not move, so every later update would fail the same way.
        out.setSkippedUpdates(updates - u).setSkipReason(e.getMessage());
        break;
      }
      applied++;
      loss += sums[0];
      clipFraction += sums[1];
    }
    if (applied > 0) {
      version++;
    }
    int n = Math.max(1, applied);
    return out.setPolicyVersion(version).setValueLoss(loss / n).setValueClipFraction(clipFraction / n)
        .setGradNorm(gradNorm / n).setTokens((long) tokens * applied)
        .setSeconds((System.nanoTime() - started) / 1e9).build();
  }

  /** One finite value per completion token of every row, or a message naming the row. */
  private static List<float[]> perToken(String name, List<FloatList> lists, List<TokenSequence> rows) {
    if (lists.size() != rows.size()) {
      throw new IllegalArgumentException("critic batch has " + lists.size() + " rows of " + name + " for "
          + rows.size() + " rollouts");
    }
    List<float[]> out = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      float[] values = PolicyTrainer.toArray(lists.get(i));
      if (values.length != rows.get(i).getCompletionCount()) {
        throw new IllegalArgumentException("critic batch row " + i + ": " + values.length + " " + name + " for "
            + rows.get(i).getCompletionCount() + " completion tokens");
      }
      for (int k = 0; k < values.length; k++) {
        if (!Float.isFinite(values[k])) {
          throw new IllegalArgumentException("critic batch row " + i + ": " + name + "[" + k + "] = " + values[k]
              + "; it must be finite");
        }
      }
      out.add(values);
    }
    return out;
  }

  private static List<float[]> zeros(List<TokenSequence> rows) {
    List<float[]> out = new ArrayList<>(rows.size());
    for (TokenSequence r : rows) {
      out.add(new float[r.getCompletionCount()]);
    }
    return out;
  }
}
