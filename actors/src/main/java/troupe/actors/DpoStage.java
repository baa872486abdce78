package troupe.actors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.trainers.algo.LengthNormalizedLoss;
import troupe.v1.DpoConfig;
import troupe.v1.LogProbsRequest;
import troupe.v1.LoopState;
import troupe.v1.Notice;
import troupe.v1.OptimizerSettings;
import troupe.v1.PreferenceBatch;
import troupe.v1.StepMetrics;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.WorkflowEvent;

/**
 * Preference optimisation (algorithms.md section 3 and 7.3-7.5) from a JSON-lines file: chosen/rejected pairs, or
 * for KTO unpaired examples with a label (pairs count as one desirable and one undesirable example). The reference
 * is the policy as the stage begins; its summed log-probs are computed once per example and kept (TRL's precompute;
 * {@code cache_reference: false} recomputes them per batch). Held-out examples give the preference metrics at each
 * evaluation, next to the task's held-out accuracy. Resume points keep the data cursor and those cached sums.
 */
final class DpoStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    DpoConfig cfg = c.stage.getDpo();
    c.workers.policy();
    boolean referenceFree = cfg.getReferenceFree() || LengthNormalizedLoss.TYPES.contains(cfg.getLossType());
    Reference reference = new Reference(c, referenceFree ? null : c.workers.referenceOfPolicy());
    // a relative train_file names a file of the workflow folder, written by an earlier stage
    Path file = c.folder.resolve(cfg.getTrainFile());
    long seed = c.spec.getSeed() * 31 + c.stageIndex;
    TrainingExamples data;
    Function<List<Integer>, PreferenceBatch.Builder> batch;
    if (cfg.getLossType().equals("kto")) {
      UnpairedExamples examples = UnpairedExamples.read(file, cfg.getMaxBadLines(), cfg.getEvalFraction(), seed);
      data = examples;
      batch = indices -> unpairedBatch(examples, reference, indices);
    } else {
      PreferencePairs pairs = PreferencePairs.read(file, cfg.getMaxBadLines(), cfg.getEvalFraction(), seed);
      data = pairs;
      batch = indices -> pairBatch(pairs, reference, indices);
    }
    if (data.badLines().count() > 0) {
      c.emit(WorkflowEvent.newBuilder().setNotice(Notice.newBuilder().setText("warning: "
          + data.badLines().summary())));
    }
    OptimizerSettings optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
        .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps()).build();
    int step = 0;
    LoopState resumed = c.resumeMidStage(); // the reference above is the policy as the stage began
    if (resumed == null) {
      c.evaluate(0);
    } else {
      step = resumed.getStep();
      data.seek(resumed.getData());
      reference.cache.putAll(resumed.getReferenceSumsMap());
    }
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      PhaseTimer timer = new PhaseTimer();
      if (!cfg.getCacheReference()) {
        reference.cache.clear(); // recomputed for every batch
      }
      PreferenceBatch.Builder b = settings(cfg, batch.apply(data.nextTrainBatch(cfg.getBatchSize())));
      timer.lap("reference");
      TrainStepResponse trained = train(c, optimizer, b);
      c.workers.setPolicyVersion(trained.getPolicyVersion());
      timer.lap("train");
      c.workers.rolloutsAtPolicyVersion();
      timer.lap("weight_sync");
      StepMetrics.Builder metrics = StepMetrics.newBuilder().setStageIndex(c.stageIndex).setStage(c.stage.getName())
          .setStep(step).setTotalSteps(cfg.getSteps()).setLoss(trained.getLoss()).setGradNorm(trained.getGradNorm())
          .setLearningRate(cfg.getLearningRate()).setPreference(trained.getPreference())
          .setTokensPerSecond(trained.getTokens() / timer.total()).setSeconds(timer.total())
          .putAllPhaseSeconds(timer.phases());
      boolean evalDue = c.evalDue(step, cfg.getSteps());
      if (evalDue && !data.heldOut().isEmpty()) {
        metrics.setPreferenceEval(HeldOutPairs.measure(data.heldOut(), cfg.getBatchSize(),
            part -> train(c, optimizer, settings(cfg, batch.apply(part)).setEvaluateOnly(true)).getPreference()));
      }
      c.emit(WorkflowEvent.newBuilder().setStep(metrics.setElapsedSeconds(c.elapsedSeconds())));
      if (evalDue) {
        c.evaluate(step);
      }
      if (c.checkpointDue(step)) {
        c.checkpoint(step);
      }
      if (c.resumePointDue(step, cfg.getSteps())) {
        c.saveResumePoint(LoopState.newBuilder().setStep(step).setData(data.cursor())
            .putAllReferenceSums(reference.cache));
      }
    }
    c.checkpoint(step);
    return step;
  }

  private static TrainStepResponse train(StageContext c, OptimizerSettings optimizer, PreferenceBatch.Builder b) {
    return c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
        TrainStepRequest.newBuilder().setOptimizer(optimizer).setPreference(b)).build()).getTrained();
  }

  private static PreferenceBatch.Builder settings(DpoConfig cfg, PreferenceBatch.Builder b) {
    return b.setLossType(cfg.getLossType()).setBeta(cfg.getBeta()).setLabelSmoothing(cfg.getLabelSmoothing())
        .setReferenceFree(cfg.getReferenceFree()).setNllAlpha(cfg.getNllAlpha()).setSimpoGamma(cfg.getSimpoGamma())
        .setDesirableWeight(cfg.getDesirableWeight()).setUndesirableWeight(cfg.getUndesirableWeight());
  }

  /** Each pair's chosen and rejected rows, with the reference's sums. */
  private static PreferenceBatch.Builder pairBatch(PreferencePairs pairs, Reference reference, List<Integer> indices) {
    PreferenceBatch.Builder b = PreferenceBatch.newBuilder();
    List<Integer> keys = new ArrayList<>();
    List<TokenSequence> rows = new ArrayList<>();
    for (int i : indices) {
      TokenSequence[] pair = pairs.pair(i);
      b.addChosen(pair[0]).addRejected(pair[1]);
      keys.add(2 * i);
      rows.add(pair[0]);
      keys.add(2 * i + 1);
      rows.add(pair[1]);
    }
    if (reference.worker != null) {
      float[] sums = reference.sums(keys, rows);
      for (int k = 0; k < indices.size(); k++) {
        b.addRefChosen(sums[2 * k]).addRefRejected(sums[2 * k + 1]);
      }
    }
    return b;
  }

  /** Desirable examples as chosen rows, undesirable as rejected, and KTO's mismatched rows. */
  private static PreferenceBatch.Builder unpairedBatch(UnpairedExamples examples, Reference reference,
      List<Integer> indices) {
    PreferenceBatch.Builder b = PreferenceBatch.newBuilder();
    List<Integer> good = new ArrayList<>();
    List<Integer> bad = new ArrayList<>();
    for (int i : indices) {
      (examples.desirable(i) ? good : bad).add(i);
    }
    good.forEach(i -> b.addChosen(examples.sequence(i)));
    bad.forEach(i -> b.addRejected(examples.sequence(i)));
    // the reference point: prompt k with the completion of the next example (TRL shifts by one)
    for (int k = 0; k < indices.size(); k++) {
      b.addMismatched(examples.sequence(indices.get(k)).toBuilder().clearCompletion()
          .addAllCompletion(examples.sequence(indices.get((k + 1) % indices.size())).getCompletionList()));
    }
    if (reference.worker != null) {
      List<Integer> keys = new ArrayList<>(good);
      keys.addAll(bad);
      List<TokenSequence> rows = new ArrayList<>(b.getChosenList());
      rows.addAll(b.getRejectedList());
      float[] sums = reference.sums(keys, rows);
      for (int k = 0; k < keys.size(); k++) {
        if (k < good.size()) {
          b.addRefChosen(sums[k]);
        } else {
          b.addRefRejected(sums[k]);
        }
      }
      for (float s : reference.sums(null, b.getMismatchedList())) {
        b.addRefMismatched(s);
      }
    }
    return b;
  }

  /** The reference worker's summed completion log-probs, kept per example key unless the key is null. */
  private static final class Reference {
    final StageContext c;
    final ActorRef<WorkerAsk> worker;
    final Map<Integer, Float> cache = new HashMap<>();

    Reference(StageContext c, ActorRef<WorkerAsk> worker) {
      this.c = c;
      this.worker = worker;
    }

    float[] sums(List<Integer> keys, List<TokenSequence> rows) {
      List<Integer> missing = new ArrayList<>();
      for (int k = 0; k < rows.size(); k++) {
        if (keys == null || !cache.containsKey(keys.get(k))) {
          missing.add(k);
        }
      }
      float[] out = new float[rows.size()];
      if (!missing.isEmpty()) {
        List<TokenSequence> ask = new ArrayList<>();
        missing.forEach(k -> ask.add(rows.get(k)));
        List<float[]> lp = RlStage.toArrays(c.workers.askReference(c.workers.request().setLogProbs(
            LogProbsRequest.newBuilder().addAllSequences(ask).setTemperature(1f)).build()).getLogProbs()
            .getLogProbsList());
        for (int m = 0; m < missing.size(); m++) {
          out[missing.get(m)] = sum(lp.get(m));
          if (keys != null) {
            cache.put(keys.get(missing.get(m)), out[missing.get(m)]);
          }
        }
      }
      for (int k = 0; k < rows.size(); k++) {
        if (keys != null) {
          out[k] = cache.get(keys.get(k));
        }
      }
      return out;
    }

    private static float sum(float[] values) {
      double s = 0;
      for (float v : values) {
        s += v;
      }
      return (float) s;
    }
  }
}
