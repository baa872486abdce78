package troupe.trainers.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import troupe.trainers.algo.ValueLoss;
import troupe.trainers.model.NoGrad;
import troupe.trainers.model.TransformerLM;
import troupe.v1.CriticBatch;
import troupe.v1.ModelSpec;
import troupe.v1.OptimizerSettings;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepResponse;
import troupe.v1.Weights;

/**
 * PPO's critic: a transformer of the policy's architecture with a scalar value head on its final hidden states,
 * and its own AdamW. The value of completion token k is read at the position whose logits would predict that token,
 * i.e. the state before the action (algorithms.md 2.2: verl and TRL slice {@code values[:, P-1:-1]}). The
 * transformer may start as a copy of the policy ({@link #loadWeights(Weights, boolean)} with backbone only); the
 * head starts at zero, so the first values are 0 and the first advantages are plain returns.
 */
public final class ValueModel extends VersionedModel {
  static final String HEAD_WEIGHT = "value_head.weight";
  static final String HEAD_BIAS = "value_head.bias";

  private final TransformerLM backbone;
  private final NDArray headWeight;
  private final NDArray headBias;
  private final OptimizerStep optimizer = new OptimizerStep();

  public ValueModel(ModelSpec spec, long seed, String device) {
    super(device);
    backbone = TransformerLM.create(manager, LanguageModel.config(spec), seed);
    headWeight = manager.zeros(new Shape(spec.getDModel(), 1));
    headBias = manager.zeros(new Shape(1));
    headWeight.setRequiresGradient(true);
    headBias.setRequiresGradient(true);
  }

  @Override
  protected LinkedHashMap<String, NDArray> parameters() {
    LinkedHashMap<String, NDArray> all = backbone.parameters();
    all.put(HEAD_WEIGHT, headWeight);
    all.put(HEAD_BIAS, headBias);
    return all;
  }

  @Override
  protected void loadParameters(Map<String, NDArray> values) {
    Map<String, NDArray> transformer = new LinkedHashMap<>(values);
    NDArray weight = transformer.remove(HEAD_WEIGHT);
    NDArray bias = transformer.remove(HEAD_BIAS);
    if (weight == null || bias == null) {
      throw new IllegalArgumentException("critic weights need " + HEAD_WEIGHT + " and " + HEAD_BIAS
          + "; to start from policy weights load the backbone only");
    }
    checkShape(HEAD_WEIGHT, weight, headWeight);
    checkShape(HEAD_BIAS, bias, headBias);
    backbone.loadParameters(transformer); // checks every tensor before copying any
    weight.copyTo(headWeight);
    bias.copyTo(headBias);
  }

  /** Loads critic weights, or with {@code backboneOnly} the transformer of a policy's weights (head unchanged). */
  public void loadWeights(Weights weights, boolean backboneOnly) {
    if (!backboneOnly) {
      loadWeights(weights);
      return;
    }
    try (NDManager scratch = manager.newSubManager()) {
      backbone.loadParameters(troupe.trainers.model.TensorCodec.fromProto(weights.getTensorsList(), scratch));
    }
  }

  /** Values per completion token, without gradients, in chunks of {@code microBatch} rows. */
  public List<float[]> values(List<TokenSequence> rows, int microBatch) {
    return NoGrad.run(() -> {
      List<float[]> out = new ArrayList<>(rows.size());
      int step = microBatch > 0 ? microBatch : rows.size();
      for (int from = 0; from < rows.size(); from += step) {
        try (NDManager scope = manager.newSubManager()) {
          TokenBatch tb = TokenBatch.of(scope, rows.subList(from, Math.min(rows.size(), from + step)),
              LanguageModel.TOKENIZER.bos(), LanguageModel.TOKENIZER.pad());
          out.addAll(tb.fromGrid(valueGrid(tb)));
        }
      }
      return out;
    });
  }

  /** {@code updates} optimizer steps of the clipped value loss on one batch; the version goes up by one. */
  public TrainStepResponse trainStep(CriticBatch batch, OptimizerSettings settings, int microBatch) {
    long started = System.nanoTime();
    List<TokenSequence> rows = batch.getRolloutsList();
    if (batch.getReturnsCount() != rows.size() || batch.getOldValuesCount() != rows.size()) {
      throw new IllegalArgumentException("critic batch: " + batch.getReturnsCount() + " rows of returns and "
          + batch.getOldValuesCount() + " of old values for " + rows.size() + " rollouts");
    }
    List<float[]> returns = PolicyTrainer.toArrays(batch.getReturnsList());
    List<float[]> old = PolicyTrainer.toArrays(batch.getOldValuesList());
    float tokens = PolicyTrainer.countCompletionTokens(rows);
    int updates = Math.max(1, batch.getUpdates());
    double loss = 0;
    double clipFraction = 0;
    double gradNorm = 0;
    for (int u = 0; u < updates; u++) {
      double[] sums = new double[2];
      gradNorm += GradientStep.run(optimizer, settings, parameters(), version, manager, rows, microBatch,
          (scope, tb, from) -> {
            int to = from + tb.rows();
            ValueLoss.Result r = ValueLoss.compute(valueGrid(tb), tb.onGrid(scope, old.subList(from, to)),
                tb.onGrid(scope, returns.subList(from, to)), tb.completionMask, batch.getValueClip(), tokens);
            sums[0] += r.loss().getFloat();
            sums[1] += r.clipFraction() * tb.completionTokens() / tokens;
            return r.loss();
          }) / updates;
      loss += sums[0] / updates;
      clipFraction += sums[1] / updates;
    }
    version++;
    return TrainStepResponse.newBuilder().setPolicyVersion(version).setValueLoss(loss)
        .setValueClipFraction(clipFraction).setGradNorm(gradNorm).setTokens((long) tokens * updates)
        .setSeconds((System.nanoTime() - started) / 1e9).build();
  }

  /** [B, columns] values on the batch's grid: V at column j is the state whose logits predict target j. */
  private NDArray valueGrid(TokenBatch tb) {
    NDArray hidden = backbone.hidden(tb.inputs, tb.positions, tb.keyMask);
    return hidden.matMul(headWeight).add(headBias).squeeze(-1);
  }

  private static void checkShape(String name, NDArray value, NDArray own) {
    if (!value.getShape().equals(own.getShape())) {
      throw new IllegalArgumentException("tensor '" + name + "' has shape " + value.getShape() + ", expected "
          + own.getShape());
    }
  }
}
