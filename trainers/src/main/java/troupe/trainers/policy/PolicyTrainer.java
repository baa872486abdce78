package troupe.trainers.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import troupe.trainers.algo.ActorLoss;
import troupe.trainers.algo.DpoLoss;
import troupe.trainers.algo.KtoLoss;
import troupe.trainers.algo.LengthNormalizedLoss;
import troupe.trainers.algo.KlEstimators;
import troupe.trainers.algo.LossAggregation;
import troupe.trainers.algo.PolicyLoss;
import troupe.trainers.algo.PolicyLosses;
import troupe.trainers.algo.SftLoss;
import troupe.trainers.model.LogProbs;
import troupe.trainers.model.NoGrad;
import troupe.v1.FloatList;
import troupe.v1.GrpoBatch;
import troupe.v1.ModelSpec;
import troupe.v1.OptimizerSettings;
import troupe.v1.PreferenceBatch;
import troupe.v1.PreferenceMetrics;
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

  /**
   * A full checkpoint into {@code folder}: model.safetensors (weights and version) and optimizer.safetensors (the
   * AdamW moments, with the update count and settings in its metadata), enough to go on exactly where it stopped.
   */
  public void saveFull(Path folder) throws IOException {
    Files.createDirectories(folder);
    saveCheckpoint(folder.resolve("model.safetensors"), Map.of());
    optimizer.save(folder.resolve("optimizer.safetensors"));
  }

  /** Restores {@link #saveFull}: weights, version and optimizer state. */
  public void loadFull(Path folder) throws IOException {
    loadVersioned(folder.resolve("model.safetensors"));
    optimizer.load(folder.resolve("optimizer.safetensors"), parameters(), manager);
  }

  /**
   * SFT: masked next-token NLL on completion tokens, token-mean over the whole step (algorithms.md 1); with a pack
   * length, examples share rows without seeing each other.
   */
  public TrainStepResponse sftStep(SftBatch batch, OptimizerSettings settings, int microBatch) {
    long started = System.nanoTime();
    List<TokenSequence> rows = batch.getExamplesList();
    float tokens = countCompletionTokens(rows);
    Metrics m = new Metrics();
    optimizerStep(settings, m, rows, microBatch, batch.getPackLength(), (scope, tb, logits, chunkFrom) -> {
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
   * One step of an online RL stage: {@code updates} optimizer steps on one rollout batch with the actor loss of
   * {@link ActorLoss} (the preset's policy loss, KL term, entropy bonus and aggregation). The old log-probs are those
   * the orchestrator sends, else recomputed here with the weights that generated the batch when the batch is reused
   * (ratio exactly 1 on the first update), else the detached current log-probs (section 4.2). An update whose loss or
   * gradient is not finite is skipped, counted and named in the response; the weights stay as they were.
   */
  public TrainStepResponse rlStep(GrpoBatch batch, OptimizerSettings settings, int microBatch) {
    long started = System.nanoTime();
    List<TokenSequence> rows = batch.getRolloutsList();
    boolean perToken = batch.getTokenAdvantagesCount() > 0;
    int advantageRows = perToken ? batch.getTokenAdvantagesCount() : batch.getAdvantagesCount();
    if (advantageRows != rows.size()) {
      throw new IllegalArgumentException(advantageRows + " advantages for " + rows.size() + " rollouts");
    }
    boolean withKl = batch.getKlBeta() > 0;
    if (withKl && batch.getRefLogProbsCount() != rows.size()) {
      throw new IllegalArgumentException("kl_beta > 0 needs reference log-probs for every rollout, got "
          + batch.getRefLogProbsCount() + " for " + rows.size());
    }
    if (batch.getOldLogProbsCount() != 0 && batch.getOldLogProbsCount() != rows.size()) {
      throw new IllegalArgumentException(batch.getOldLogProbsCount() + " old log-prob rows for " + rows.size()
          + " rollouts");
    }
    float tokens = countCompletionTokens(rows);
    int updates = Math.max(1, batch.getUpdates());
    List<float[]> old = batch.getOldLogProbsCount() > 0 ? toArrays(batch.getOldLogProbsList())
        : updates > 1 ? logProbs(rows, batch.getTemperature(), microBatch) : null;
    List<float[]> ref = toArrays(batch.getRefLogProbsList());
    List<float[]> tokenAdvantages = toArrays(batch.getTokenAdvantagesList());
    ActorLoss.Params params = actorLoss(batch);
    Metrics total = new Metrics();
    int applied = 0;
    for (int u = 0; u < updates && total.skipReason == null; u++) {
      Metrics m = new Metrics();
      try {
        optimizerStep(settings, m, rows, microBatch, 0, (scope, tb, logits, from) -> {
          int to = from + tb.rows();
          NDArray lp = LogProbs.tokenLogProbs(logits, tb.targets, batch.getTemperature());
          NDArray oldGrid = old == null ? lp.stopGradient() : tb.onGrid(scope, old.subList(from, to));
          NDArray refGrid = withKl ? tb.onGrid(scope, ref.subList(from, to)) : null;
          NDArray advantages = perToken ? tb.onGrid(scope, tokenAdvantages.subList(from, to))
              : scope.create(sequenceAdvantages(batch, from, tb.rows())).reshape(tb.rows(), 1);
          NDArray entropy = LogProbs.entropy(logits, batch.getTemperature());
          ActorLoss.Result r = ActorLoss.compute(lp, oldGrid, refGrid, advantages,
              params.entropyCoef() > 0 ? entropy : null, tb.completionMask, params, tokens, rows.size());
          float share = tb.completionTokens() / tokens;
          m.loss += r.loss().getFloat();
          m.kl += r.kl() * share;
          m.clipLow += r.clipLow() * share;
          m.clipHigh += r.clipHigh() * share;
          m.approxKl += r.approxKl() * share;
          m.entropy += maskedSum(entropy.stopGradient(), tb.completionMask) / tokens;
          return r.loss();
        });
        applied++;
        total.add(m, 1f / updates);
      } catch (OptimizerStep.NonFiniteGradient e) {
        total.skipped = updates - u; // the weights did not move, so every later update would fail the same way
        total.skipReason = e.getMessage();
      }
    }
    if (applied > 0) {
      version++;
    }
    return total.response(version, (long) tokens * applied, started);
  }

  /**
   * One step of a preference loss on pairs (algorithms.md 3): chosen and rejected rows in one forward pass, their
   * completion log-probs summed per row (the mask is applied before the sum, so padding cannot leak), the reference
   * sums as sent. With {@code evaluate_only} the metrics are measured without a gradient step (held-out pairs).
   */
  public TrainStepResponse preferenceStep(PreferenceBatch batch, OptimizerSettings settings) {
    long started = System.nanoTime();
    boolean kto = batch.getLossType().equals("kto");
    // kto: chosen are the desirable and rejected the undesirable examples, in any numbers; else row i of each pairs
    int pairs = batch.getChosenCount();
    int rejectedRows = batch.getRejectedCount();
    if (kto ? pairs + rejectedRows == 0 : pairs == 0 || rejectedRows != pairs) {
      throw new IllegalArgumentException("a preference batch needs as many rejected as chosen rows (at least one), "
          + "got " + pairs + " and " + rejectedRows);
    }
    boolean withReference = !batch.getReferenceFree() && !LengthNormalizedLoss.TYPES.contains(batch.getLossType());
    if (withReference && (batch.getRefChosenCount() != pairs || batch.getRefRejectedCount() != rejectedRows)) {
      throw new IllegalArgumentException("reference log-probs for " + batch.getRefChosenCount() + " chosen and "
          + batch.getRefRejectedCount() + " rejected rows, expected " + pairs + " and " + rejectedRows
          + " (or reference_free)");
    }
    if (kto && (batch.getMismatchedCount() == 0
        || withReference && batch.getRefMismatchedCount() != batch.getMismatchedCount())) {
      throw new IllegalArgumentException("kto needs mismatched rows (and their reference sums) for its reference "
          + "point, got " + batch.getMismatchedCount() + " rows and " + batch.getRefMismatchedCount() + " sums");
    }
    List<TokenSequence> rows = new ArrayList<>(batch.getChosenList());
    rows.addAll(batch.getRejectedList());
    rows.addAll(batch.getMismatchedList());
    PreferenceMetrics.Builder metrics = PreferenceMetrics.newBuilder();
    Metrics m = new Metrics();
    DpoLossStep loss = (scope, tb, logits) -> {
      NDArray lp = LogProbs.tokenLogProbs(logits, tb.targets, 1f).mul(tb.completionMask).sum(new int[] {1});
      NDArray chosen = lp.get("0:" + pairs);
      NDArray rejected = lp.get(pairs + ":" + (pairs + rejectedRows));
      NDArray refChosen = withReference ? scope.create(floats(batch.getRefChosenList())) : chosen.zerosLike();
      NDArray refRejected = withReference ? scope.create(floats(batch.getRefRejectedList())) : rejected.zerosLike();
      NDArray mismatched = lp.get((pairs + rejectedRows) + ":");
      DpoLoss.Result r = kto
          ? KtoLoss.compute(chosen.sub(refChosen), rejected.sub(refRejected), mismatched.sub(withReference
              ? scope.create(floats(batch.getRefMismatchedList())) : mismatched.zerosLike()), batch.getBeta(),
              batch.getDesirableWeight(), batch.getUndesirableWeight())
          : LengthNormalizedLoss.TYPES.contains(batch.getLossType())
          ? LengthNormalizedLoss.compute(chosen, rejected, scope.create(lengths(batch.getChosenList())),
              scope.create(lengths(batch.getRejectedList())), batch.getLossType(), batch.getBeta(),
              batch.getSimpoGamma())
          : DpoLoss.compute(chosen, rejected, refChosen, refRejected, batch.getLossType(), batch.getBeta(),
              batch.getLabelSmoothing());
      NDArray total = r.loss();
      if (batch.getNllAlpha() > 0) { // RPO: the chosen completions' NLL, a token mean over them (algorithms.md 3.2)
        float chosenTokens = countCompletionTokens(batch.getChosenList());
        total = total.add(chosen.sum().neg().div(scope.create(chosenTokens)).mul(scope.create(batch.getNllAlpha())));
      }
      m.loss = total.getFloat();
      metrics.setRewardsChosen(r.rewardsChosen()).setRewardsRejected(r.rewardsRejected())
          .setMargin(r.rewardsChosen() - r.rewardsRejected()).setAccuracy(r.accuracy())
          .setLogpsChosen(chosen.stopGradient().mean().getFloat())
          .setLogpsRejected(rejected.stopGradient().mean().getFloat());
      return total;
    };
    if (batch.getEvaluateOnly()) {
      NoGrad.run(() -> {
        try (NDManager scope = manager.newSubManager()) {
          TokenBatch tb = TokenBatch.of(scope, rows, TOKENIZER.bos(), TOKENIZER.pad());
          return loss.loss(scope, tb, model.forward(tb.inputs, tb.positions, tb.keyMask, null));
        }
      });
      return m.response(version, 0, started).toBuilder().setPreference(metrics).build();
    }
    // The pairs' loss couples rows across the batch (chosen i with rejected i), so one micro-batch holds them all.
    optimizerStep(settings, m, rows, 0, 0, (scope, tb, logits, from) -> loss.loss(scope, tb, logits));
    version++;
    return m.response(version, (long) countCompletionTokens(rows), started).toBuilder().setPreference(metrics)
        .build();
  }

  /** The preference loss of one forward pass over [chosen; rejected]. */
  private interface DpoLossStep {
    NDArray loss(NDManager scope, TokenBatch batch, NDArray logits);
  }

  private static float[] lengths(List<TokenSequence> rows) {
    float[] out = new float[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.max(1, rows.get(i).getCompletionCount());
    }
    return out;
  }

  private static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static ActorLoss.Params actorLoss(GrpoBatch b) {
    String loss = orDefault(b.getPolicyLoss(), "ppo_clip");
    PolicyLoss.ClipParams clip = new PolicyLoss.ClipParams(b.getClipLow(), b.getClipHigh(),
        loss.equals("dual_clip") ? b.getDualClipC() : null, b.getLogRatioClamp() > 0 ? b.getLogRatioClamp() : null);
    return new ActorLoss.Params(PolicyLosses.byName(loss), clip,
        b.getKlBeta(), KlEstimators.byName(orDefault(b.getKlEstimator(), "k3")), b.getEntropyCoef(),
        LossAggregation.fromName(b.getLossAgg()), b.getLossNorm());
  }

  private static String orDefault(String value, String fallback) {
    return value.isEmpty() ? fallback : value;
  }

  private static float[] sequenceAdvantages(GrpoBatch batch, int from, int count) {
    float[] adv = new float[count];
    for (int i = 0; i < count; i++) {
      adv[i] = batch.getAdvantages(from + i);
    }
    return adv;
  }

  /** One optimizer step over the rows, the policy's logits computed for each micro-batch. */
  private void optimizerStep(OptimizerSettings settings, Metrics m, List<TokenSequence> rows, int microBatch,
      int packLength, LogitsLoss lossFn) {
    m.gradNorm = GradientStep.run(optimizer, settings, model.parameters(), version, manager, rows, microBatch,
        packLength,
        (scope, tb, from) -> lossFn.loss(scope, tb, model.forward(tb.inputs, tb.positions, tb.keyMask, null), from));
  }

  /** The differentiable loss of one micro-batch given its logits. */
  private interface LogitsLoss {
    NDArray loss(NDManager scope, TokenBatch batch, NDArray logits, int fromRow);
  }

  static float countCompletionTokens(List<TokenSequence> rows) {
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

  static List<float[]> toArrays(List<FloatList> lists) {
    List<float[]> out = new ArrayList<>(lists.size());
    for (FloatList f : lists) {
      out.add(toArray(f));
    }
    return out;
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
    double clipLow;
    double clipHigh;
    double approxKl;
    double entropy;
    double gradNorm;
    int skipped;
    String skipReason;

    void add(Metrics other, float weight) {
      loss += other.loss * weight;
      kl += other.kl * weight;
      clipLow += other.clipLow * weight;
      clipHigh += other.clipHigh * weight;
      approxKl += other.approxKl * weight;
      entropy += other.entropy * weight;
      gradNorm += other.gradNorm * weight;
    }

    TrainStepResponse response(long version, long tokens, long startedNanos) {
      TrainStepResponse.Builder b = TrainStepResponse.newBuilder().setPolicyVersion(version).setLoss(loss).setKl(kl)
          .setClipFraction(clipLow + clipHigh).setClipFractionLow(clipLow).setClipFractionHigh(clipHigh)
          .setApproxKl(approxKl).setEntropy(entropy).setGradNorm(gradNorm).setTokens(tokens)
          .setSkippedUpdates(skipped).setSeconds((System.nanoTime() - startedNanos) / 1e9);
      if (skipReason != null) {
        b.setSkipReason(skipReason);
      }
      return b.build();
    }
  }
}
