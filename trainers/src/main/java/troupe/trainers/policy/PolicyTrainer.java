package troupe.trainers.policy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import troupe.trainers.algo.GrpoLoss;
import troupe.trainers.algo.LossAggregation;
import troupe.trainers.algo.SftLoss;
import troupe.trainers.model.LogProbs;
import troupe.v1.FloatList;
import troupe.v1.GrpoBatch;
import troupe.v1.ModelSpec;
import troupe.v1.OptimizerSettings;
import troupe.v1.SftBatch;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepResponse;

/**
 * The trainable policy: a {@link LanguageModel} plus Adam, global gradient-norm clipping and gradient accumulation
 * over micro-batches. Each train step bumps the weight version by one.
 */
public final class PolicyTrainer extends LanguageModel {
  private final OptimizerStep optimizer = new OptimizerStep();

  public PolicyTrainer(ModelSpec spec, long seed, String device) {
    super(spec, seed, device);
  }

  /** SFT: masked next-token NLL on completion tokens, token-mean over the whole step (algorithms.md 1). */
  public TrainStepResponse sftStep(SftBatch batch, OptimizerSettings settings, int microBatch) {
    long started = System.nanoTime();
    List<TokenSequence> rows = batch.getExamplesList();
    float tokens = countCompletionTokens(rows);
    Metrics m = new Metrics();
    optimizerStep(settings, m, rows, microBatch, (scope, tb, logits, chunkFrom) -> {
      NDArray lp = LogProbs.tokenLogProbs(logits, tb.targets, 1f);
      NDArray loss = SftLoss.loss(lp, tb.completionMask, tokens);
      m.loss += loss.getFloat();
      m.entropy += maskedSum(LogProbs.entropy(logits.stopGradient(), 1f), tb.completionMask) / tokens;
      return loss;
    });
    version++;
    return m.response(version, (long) tokens, started);
  }

  /**
   * GRPO: {@code updates} optimizer steps on one rollout batch (algorithms.md 4). The old log-probs are recomputed
   * here with the weights that generated the batch, so the first update is exactly on-policy (ratio 1); with a
   * single update they are the detached current log-probs and need no extra pass (section 4.2).
   */
  public TrainStepResponse grpoStep(GrpoBatch batch, OptimizerSettings settings, int microBatch) {
    long started = System.nanoTime();
    List<TokenSequence> rows = batch.getRolloutsList();
    if (batch.getAdvantagesCount() != rows.size()) {
      throw new IllegalArgumentException(batch.getAdvantagesCount() + " advantages for " + rows.size() + " rollouts");
    }
    boolean withKl = batch.getKlBeta() > 0;
    if (withKl && batch.getRefLogProbsCount() != rows.size()) {
      throw new IllegalArgumentException("kl_beta > 0 needs reference log-probs for every rollout, got "
          + batch.getRefLogProbsCount() + " for " + rows.size());
    }
    float tokens = countCompletionTokens(rows);
    int updates = Math.max(1, batch.getUpdates());
    List<float[]> old = updates > 1 ? logProbs(rows, batch.getTemperature(), microBatch) : null;
    List<float[]> ref = new ArrayList<>();
    for (FloatList f : batch.getRefLogProbsList()) {
      ref.add(toArray(f));
    }
    GrpoLoss.Params params = new GrpoLoss.Params(batch.getClipLow(), batch.getClipHigh(), batch.getKlBeta(),
        LossAggregation.fromName(batch.getLossAgg()));
    Metrics total = new Metrics();
    for (int u = 0; u < updates; u++) {
      Metrics m = new Metrics();
      optimizerStep(settings, m, rows, microBatch, (scope, tb, logits, from) -> {
        int to = from + tb.rows();
        NDArray lp = LogProbs.tokenLogProbs(logits, tb.targets, batch.getTemperature());
        NDArray oldGrid = old == null ? lp.stopGradient() : tb.onGrid(scope, old.subList(from, to));
        NDArray refGrid = withKl ? tb.onGrid(scope, ref.subList(from, to)) : null;
        float[] adv = new float[tb.rows()];
        for (int i = 0; i < adv.length; i++) {
          adv[i] = batch.getAdvantages(from + i);
        }
        NDArray advantages = scope.create(adv).reshape(tb.rows(), 1);
        GrpoLoss.Result r = GrpoLoss.compute(lp, oldGrid, refGrid, advantages, tb.completionMask, params, tokens,
            rows.size());
        float share = tb.completionTokens() / tokens;
        m.loss += r.loss().getFloat();
        m.kl += r.kl() * share;
        m.clipFraction += r.clipFraction() * share;
        m.entropy += maskedSum(LogProbs.entropy(logits.stopGradient(), batch.getTemperature()), tb.completionMask)
            / tokens;
        return r.loss();
      });
      total.add(m, 1f / updates);
    }
    version++;
    return total.response(version, (long) tokens * updates, started);
  }

  /** The differentiable loss of one micro-batch; called inside an open GradientCollector. */
  interface MicroBatchLoss {
    NDArray loss(NDManager scope, TokenBatch batch, NDArray logits, int fromRow);
  }

  /** One optimizer step: accumulate gradients over micro-batches, clip the global norm, update, zero gradients. */
  private void optimizerStep(OptimizerSettings settings, Metrics m, List<TokenSequence> rows, int microBatch,
      MicroBatchLoss lossFn) {
    int step = microBatch > 0 ? microBatch : rows.size();
    AutogradLane.LOCK.lock();
    try {
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        for (int from = 0; from < rows.size(); from += step) {
          List<TokenSequence> chunk = rows.subList(from, Math.min(rows.size(), from + step));
          try (NDManager scope = manager.newSubManager()) {
            TokenBatch tb = TokenBatch.of(scope, chunk, TOKENIZER.bos(), TOKENIZER.pad());
            NDArray logits = model.forward(tb.inputs, tb.positions, tb.keyMask, null);
            NDArray loss = lossFn.loss(scope, tb, logits, from);
            if (!Float.isFinite(loss.getFloat())) {
              throw new IllegalStateException("non-finite loss " + loss.getFloat() + " at policy version " + version);
            }
            collector.backward(loss);
          }
        }
      }
      m.gradNorm = optimizer.apply(settings, model.parameters(), version);
    } finally {
      AutogradLane.LOCK.unlock();
    }
  }

  private static float countCompletionTokens(List<TokenSequence> rows) {
    long n = 0;
    for (TokenSequence r : rows) {
      n += r.getCompletionCount();
    }
    if (n == 0) {
      throw new IllegalArgumentException("the batch has no completion tokens to train on");
    }
    return n;
  }

  private static float maskedSum(NDArray values, NDArray mask) {
    return values.mul(mask).sum().getFloat();
  }

  static float[] toArray(FloatList list) {
    float[] out = new float[list.getValuesCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.getValues(i);
    }
    return out;
  }

  /** Metrics of one train step, summed over micro-batches (each part already divided by its global count). */
  private static final class Metrics {
    double loss;
    double kl;
    double clipFraction;
    double entropy;
    double gradNorm;

    void add(Metrics other, float weight) {
      loss += other.loss * weight;
      kl += other.kl * weight;
      clipFraction += other.clipFraction * weight;
      entropy += other.entropy * weight;
      gradNorm += other.gradNorm * weight;
    }

    TrainStepResponse response(long version, long tokens, long startedNanos) {
      return TrainStepResponse.newBuilder().setPolicyVersion(version).setLoss(loss).setKl(kl)
          .setClipFraction(clipFraction).setEntropy(entropy).setGradNorm(gradNorm).setTokens(tokens)
          .setSeconds((System.nanoTime() - startedNanos) / 1e9).build();
    }
  }
}
