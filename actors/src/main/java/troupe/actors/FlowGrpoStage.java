package troupe.actors;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.diffusion.flow.FlowAdvantage;
import troupe.v1.FlowGrpoBatch;
import troupe.v1.FlowGrpoConfig;
import troupe.v1.FlowMeansRequest;
import troupe.v1.ImageSamples;
import troupe.v1.OptimizerSettings;
import troupe.v1.SampleImagesRequest;
import troupe.v1.ScoreResponse;
import troupe.v1.StepMetrics;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.WorkflowEvent;

/**
 * Flow-GRPO (algorithms.md 6): per step, G SDE trajectories for each of P training prompts from the rollout
 * workers, rewards from the reward workers, group-normalised and clipped advantages, reference SDE means for the
 * KL, then the policy trains on the first floor(T * timestep_fraction) transitions and the new weights go to the
 * rollout workers. Evaluation uses the deterministic ODE with more steps (denoising reduction).
 *
 * <p>With sde_window_size > 0 (Flow-GRPO-Fast, MixGRPO): each step draws a window of consecutive steps in
 * [0, sde_window_end); only those are SDE and trained, the others are ODE. Training and reference means then cost
 * the window's steps, not T.
 */
final class FlowGrpoStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    FlowGrpoConfig cfg = c.stage.getFlowGrpo();
    c.workers.policy();
    // The policy as the stage begins (after a restart, put back by StageContext.beginStage from the stage's start).
    ActorRef<WorkerAsk> reference = cfg.getKlBeta() > 0 ? c.workers.referenceOfPolicy() : null;
    OptimizerSettings optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
        .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps())
        .setWeightDecay(cfg.getWeightDecay()).build();
    ImageEvaluation eval = new ImageEvaluation(c, cfg.getEvalSteps(), cfg.getGuidance());
    ImageLoopState loop = ImageLoopState.begin(c, c.spec.getSeed() * 104_729 + c.stageIndex);
    Random prompts = loop.random();
    int step = loop.step();
    if (step == 0) {
      eval.run(0);
    }
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      c.workers.shardStats.reset();
      StepMetrics.Builder metrics = runStep(c, cfg, step, prompts, reference, optimizer);
      c.emit(WorkflowEvent.newBuilder().setStep(metrics.setElapsedSeconds(c.elapsedSeconds())));
      if (c.evalDue(step, cfg.getSteps(), cfg.getEvalEverySteps())) {
        eval.run(step);
      }
      if (c.checkpointDue(step)) {
        c.checkpoint(step);
      }
      loop.afterStep(step, cfg.getSteps());
    }
    if (step > 0 && !c.evalDue(step, cfg.getSteps(), cfg.getEvalEverySteps())) {
      eval.run(step);
    }
    c.checkpoint(step);
    return step;
  }

  /** Transitions trained per trajectory: the SDE window, else the first timestep_fraction of the steps. */
  static int trainSteps(FlowGrpoConfig cfg) {
    if (cfg.getSdeWindowSize() > 0) {
      return cfg.getSdeWindowSize();
    }
    return Math.max(1, (int) Math.floor(cfg.getSampleSteps() * cfg.getTimestepFraction()));
  }

  private StepMetrics.Builder runStep(StageContext c, FlowGrpoConfig cfg, int step, Random random,
      ActorRef<WorkerAsk> reference, OptimizerSettings optimizer) {
    PhaseTimer timer = new PhaseTimer();
    int g = cfg.getGroupSize();
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < cfg.getPromptsPerStep(); i++) {
      prompts.add(c.world.trainPrompt(random).text());
    }
    List<String> perSample = StageContext.repeatEach(prompts, g);
    int k = trainSteps(cfg);
    int first = cfg.getSdeWindowSize() > 0 ? random.nextInt(cfg.getSdeWindowEnd() - k + 1) : 0;
    ImageSamples rollouts = c.sampleImages(prompts, SampleImagesRequest.newBuilder().setSamplesPerPrompt(g)
        .setSteps(cfg.getSampleSteps()).setNoiseLevel(cfg.getNoiseLevel()).setGuidance(cfg.getGuidance())
        .setTimeShift(c.spec.getImageModel().getTimeShift()).setKeepTrajectory(true)
        .setSameInitialNoise(cfg.getSameInitialNoise())
        .setSdeWindowStart(first).setSdeWindowSize(cfg.getSdeWindowSize())
        .setSeed(c.spec.getSeed() * 1_000_000L + (long) c.stageIndex * 100_000 + step));
    timer.lap("rollout");

    ScoreResponse scores = c.scoreImages(perSample, rollouts.getImages());
    int n = perSample.size();
    float[] rewards = new float[n];
    boolean[] valid = new boolean[n];
    int failed = 0;
    double correct = 0;
    for (int i = 0; i < n; i++) {
      rewards[i] = scores.getRewards(i);
      valid[i] = scores.getDetails(i).getFailure().isEmpty();
      failed += valid[i] ? 0 : 1;
      correct += scores.getCorrect(i) ? 1 : 0;
    }
    float allowed = c.spec.getImageReward().getMaxFailedFraction();
    if (failed > allowed * n) {
      throw new WorkerFailure(failed + " of " + n + " samples could not be scored (image_reward.max_failed_fraction "
          + allowed + "); first reason: " + firstFailure(scores));
    }
    if (failed > 0) {
      c.emit(WorkflowEvent.newBuilder().setNotice(troupe.v1.Notice.newBuilder().setText("step " + step + ": "
          + failed + " of " + n + " samples could not be scored and are left out: " + firstFailure(scores))));
    }
    timer.lap("reward");

    FlowGrpoBatch.Builder batch = FlowGrpoBatch.newBuilder().addAllPrompts(perSample)
        .setLatents(rollouts.getLatents()).setLogProbs(rollouts.getLogProbs()).setSigmas(rollouts.getSigmas())
        .setFirstTrainStep(first).setTrainSteps(k).setNoiseLevel(cfg.getNoiseLevel()).setGuidance(cfg.getGuidance())
        .setClipRange(cfg.getClipRange()).setKlBeta(cfg.getKlBeta()).setUpdates(cfg.getUpdatesPerBatch());
    if (reference != null) {
      batch.setRefMeans(c.workers.askReference(c.workers.request().setFlowMeans(FlowMeansRequest.newBuilder()
          .addAllPrompts(perSample).setLatents(rollouts.getLatents()).setSigmas(rollouts.getSigmas())
          .setFirstTrainStep(first).setTrainSteps(k).setNoiseLevel(cfg.getNoiseLevel())
          .setGuidance(cfg.getGuidance())).build())
          .getFlowMeans().getMeans());
    }
    timer.lap("reference");

    float[] advantages = FlowAdvantage.compute(rewards, valid, g, cfg.getGlobalStd(), cfg.getStdEps(),
        cfg.getAdvClipMax());
    for (float a : advantages) {
      batch.addAdvantages(a);
    }
    TrainStepResponse trained = c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
        TrainStepRequest.newBuilder().setOptimizer(optimizer).setFlowGrpo(batch)).build()).getTrained();
    c.workers.setPolicyVersion(trained.getPolicyVersion());
    timer.lap("train");

    c.workers.rolloutsAtPolicyVersion();
    timer.lap("weight_sync");

    double mean = 0;
    int counted = 0;
    for (int i = 0; i < n; i++) {
      if (valid[i]) {
        mean += rewards[i];
        counted++;
      }
    }
    mean /= Math.max(1, counted);
    double var = 0;
    for (int i = 0; i < n; i++) {
      if (valid[i]) {
        var += (rewards[i] - mean) * (rewards[i] - mean);
      }
    }
    return c.workers.shardStats.drainInto(StepMetrics.newBuilder()).setStageIndex(c.stageIndex)
        .setStage(c.stage.getName()).setStep(step).setSamples(n)
        .setTotalSteps(cfg.getSteps()).setLoss(trained.getLoss()).setRewardMean(mean)
        .setRewardStd(Math.sqrt(var / Math.max(1, counted))).setAccuracy(correct / n).setKl(trained.getKl())
        .setClipFraction(trained.getClipFraction()).setGradNorm(trained.getGradNorm())
        .setLearningRate(cfg.getLearningRate()).setFailedSamples(failed)
        .setTokensPerSecond(trained.getTokens() / timer.total()).setSeconds(timer.total())
        .putAllPhaseSeconds(timer.phases());
  }

  private static String firstFailure(ScoreResponse scores) {
    for (var d : scores.getDetailsList()) {
      if (!d.getFailure().isEmpty()) {
        return d.getFailure();
      }
    }
    return "";
  }
}
