package troupe.actors;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.trainers.algo.LengthNormalizedLoss;
import troupe.v1.DpoConfig;
import troupe.v1.LogProbsRequest;
import troupe.v1.OptimizerSettings;
import troupe.v1.PreferenceBatch;
import troupe.v1.StepMetrics;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.WorkflowEvent;

/**
 * Preference optimisation (algorithms.md section 3) on chosen/rejected pairs from a JSON-lines file: the reference
 * is the policy as the stage begins, its summed log-probs are computed once per pair and kept (TRL's precompute;
 * {@code cache_reference: false} recomputes them per batch), and each step trains on a batch of pairs. Held-out pairs give the preference accuracy at each
 * evaluation, next to the task's held-out accuracy.
 */
final class DpoStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    DpoConfig cfg = c.stage.getDpo();
    c.workers.policy();
    // a relative train_file names a file of the workflow folder, written by an earlier stage
    PreferencePairs pairs = PreferencePairs.read(c.folder.resolve(cfg.getTrainFile()), cfg.getMaxBadLines(),
        cfg.getEvalFraction(),
        c.spec.getSeed() * 31 + c.stageIndex);
    if (pairs.bad() > 0) {
      c.emit(WorkflowEvent.newBuilder().setNotice(troupe.v1.Notice.newBuilder().setText("warning: "
          + pairs.bad() + " malformed lines skipped in " + cfg.getTrainFile() + "; first: " + pairs.firstBad())));
    }
    boolean referenceFree = cfg.getReferenceFree() || LengthNormalizedLoss.TYPES.contains(cfg.getLossType());
    ActorRef<WorkerAsk> reference = referenceFree ? null : c.workers.reference(c.workers.exportPolicy());
    Map<Integer, float[]> refCache = new HashMap<>();
    OptimizerSettings optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
        .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps()).build();
    c.evaluate(0);
    int step = 0;
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      PhaseTimer timer = new PhaseTimer();
      List<Integer> batch = pairs.nextTrainBatch(cfg.getBatchSize());
      if (!cfg.getCacheReference()) {
        refCache.clear(); // recomputed for every batch
      }
      PreferenceBatch.Builder b = batch(c, cfg, pairs, batch, reference, refCache);
      timer.lap("reference");
      TrainStepResponse trained = c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
          TrainStepRequest.newBuilder().setOptimizer(optimizer).setPreference(b)).build()).getTrained();
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
      if (evalDue && !pairs.heldOut().isEmpty()) {
        metrics.setPreferenceEval(HeldOutPairs.measure(pairs.heldOut(), cfg.getBatchSize(), part ->
            c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
                TrainStepRequest.newBuilder().setOptimizer(optimizer).setPreference(
                    batch(c, cfg, pairs, part, reference, refCache).setEvaluateOnly(true))).build())
                .getTrained().getPreference()));
      }
      c.emit(WorkflowEvent.newBuilder().setStep(metrics.setElapsedSeconds(c.elapsedSeconds())));
      if (evalDue) {
        c.evaluate(step);
      }
      if (c.checkpointDue(step)) {
        c.checkpoint(step);
      }
    }
    c.checkpoint(step);
    return step;
  }

  /** The pairs as token sequences, with the reference's summed log-probs (computed once per pair). */
  private static PreferenceBatch.Builder batch(StageContext c, DpoConfig cfg, PreferencePairs pairs,
      List<Integer> indices, ActorRef<WorkerAsk> reference, Map<Integer, float[]> refCache) {
    PreferenceBatch.Builder b = PreferenceBatch.newBuilder().setLossType(cfg.getLossType()).setBeta(cfg.getBeta())
        .setLabelSmoothing(cfg.getLabelSmoothing()).setReferenceFree(cfg.getReferenceFree())
        .setNllAlpha(cfg.getNllAlpha()).setSimpoGamma(cfg.getSimpoGamma());
    List<Integer> missing = new ArrayList<>();
    for (int i : indices) {
      b.addChosen(pairs.chosen(i)).addRejected(pairs.rejected(i));
      if (reference != null && !refCache.containsKey(i)) {
        missing.add(i);
      }
    }
    if (!missing.isEmpty()) {
      List<TokenSequence> rows = new ArrayList<>();
      for (int i : missing) {
        rows.add(pairs.chosen(i));
        rows.add(pairs.rejected(i));
      }
      List<float[]> lp = RlStage.toArrays(c.workers.client.ask(reference, c.workers.request().setLogProbs(
          LogProbsRequest.newBuilder().addAllSequences(rows).setTemperature(1f)).build()).getLogProbs()
          .getLogProbsList());
      for (int k = 0; k < missing.size(); k++) {
        refCache.put(missing.get(k), new float[] {sum(lp.get(2 * k)), sum(lp.get(2 * k + 1))});
      }
    }
    if (reference != null) {
      for (int i : indices) {
        b.addRefChosen(refCache.get(i)[0]).addRefRejected(refCache.get(i)[1]);
      }
    }
    if (cfg.getLossType().equals("kto")) {
      // KTO's reference point: prompt i with the chosen completion of the next pair (TRL shifts by one)
      for (int k = 0; k < indices.size(); k++) {
        b.addMismatched(pairs.chosen(indices.get(k)).toBuilder().clearCompletion()
            .addAllCompletion(pairs.chosen(indices.get((k + 1) % indices.size())).getCompletionList()));
      }
      b.setDesirableWeight(cfg.getDesirableWeight()).setUndesirableWeight(cfg.getUndesirableWeight());
      if (reference != null) {
        for (float[] lp : RlStage.toArrays(c.workers.client.ask(reference, c.workers.request().setLogProbs(
            LogProbsRequest.newBuilder().addAllSequences(b.getMismatchedList()).setTemperature(1f)).build())
            .getLogProbs().getLogProbsList())) {
          b.addRefMismatched(sum(lp));
        }
      }
    }
    return b;
  }

  private static float sum(float[] values) {
    double s = 0;
    for (float v : values) {
      s += v;
    }
    return (float) s;
  }
}
