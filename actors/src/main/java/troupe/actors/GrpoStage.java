package troupe.actors;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.trainers.algo.GroupAdvantage;
import troupe.trainers.tasks.Example;
import troupe.v1.GenerateRequest;
import troupe.v1.GrpoBatch;
import troupe.v1.RlConfig;
import troupe.v1.LogProbsRequest;
import troupe.v1.OptimizerSettings;
import troupe.v1.Rollout;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreResponse;
import troupe.v1.StepMetrics;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.Weights;
import troupe.v1.WorkflowEvent;

/**
 * GRPO (algorithms.md 4): per step, sample G completions for each of P unlabelled training prompts, score them with
 * the verifier, get reference log-probs, normalise rewards within each group, train the policy, and sync the new
 * weights to the rollout workers. Every phase is timed.
 */
final class GrpoStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    RlConfig cfg = c.stage.getGrpo();
    c.workers.policy();
    ActorRef<WorkerAsk> reference = null;
    if (cfg.getKlBeta() > 0) {
      Weights start = c.workers.exportPolicy(); // the reference is the policy as this stage begins
      reference = c.workers.reference(start);
    }
    Random prompts = new Random(c.spec.getSeed() * 104_729 + c.stageIndex);
    OptimizerSettings optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
        .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps()).build();
    c.evaluate(0);
    int step = 0;
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      StepMetrics.Builder metrics = runStep(c, cfg, step, prompts, reference, optimizer);
      c.emit(WorkflowEvent.newBuilder().setStep(metrics.setElapsedSeconds(c.elapsedSeconds())));
      if (c.evalDue(step, cfg.getSteps())) {
        c.evaluate(step);
      }
      if (c.checkpointDue(step)) {
        c.checkpoint(step);
      }
    }
    if (step > 0 && !c.evalDue(step, cfg.getSteps())) {
      c.evaluate(step);
    }
    c.checkpoint(step);
    return step;
  }

  private StepMetrics.Builder runStep(StageContext c, RlConfig cfg, int step, Random prompts,
      ActorRef<WorkerAsk> reference, OptimizerSettings optimizer) {
    PhaseTimer timer = new PhaseTimer();
    List<Example> batch = new ArrayList<>();
    List<TokenSequence> promptTokens = new ArrayList<>();
    for (int i = 0; i < cfg.getPromptsPerStep(); i++) {
      Example e = c.task.trainPrompt(prompts);
      batch.add(e);
      promptTokens.add(StageContext.prompt(e.prompt()));
    }
    int g = cfg.getGroupSize();
    List<Rollout> rollouts = c.generate(promptTokens, GenerateRequest.newBuilder().setSamplesPerPrompt(g)
        .setTemperature(cfg.getTemperature()).setTopP(cfg.getTopP()).setMaxNewTokens(cfg.getMaxNewTokens())
        .setSeed(c.spec.getSeed() * 1_000_000L + (long) c.stageIndex * 100_000 + step));
    timer.lap("rollout");

    List<ScoreItem> items = new ArrayList<>();
    List<TokenSequence> sequences = new ArrayList<>();
    long generatedTokens = 0;
    int maxLength = 0;
    for (Rollout r : rollouts) {
      Example e = batch.get(r.getPromptIndex());
      items.add(ScoreItem.newBuilder().setPrompt(e.prompt()).setCompletion(r.getCompletionText())
          .setAnswer(e.answer()).build());
      sequences.add(TokenSequence.newBuilder().addAllPrompt(r.getPromptList()).addAllCompletion(r.getCompletionList())
          .build());
      generatedTokens += r.getCompletionCount();
      maxLength = Math.max(maxLength, r.getCompletionCount());
    }
    ScoreResponse scores = c.score(items);
    timer.lap("reward");

    GrpoBatch.Builder train = GrpoBatch.newBuilder().addAllRollouts(sequences).setClipLow(cfg.getClipLow())
        .setClipHigh(cfg.getClipHigh()).setKlBeta(cfg.getKlBeta()).setLossAgg(cfg.getLossAgg())
        .setUpdates(cfg.getUpdatesPerBatch()).setTemperature(cfg.getTemperature());
    if (reference != null) {
      train.addAllRefLogProbs(c.workers.client.ask(reference, c.workers.request().setLogProbs(
          LogProbsRequest.newBuilder().addAllSequences(sequences).setTemperature(cfg.getTemperature())).build())
          .getLogProbs().getLogProbsList());
    }
    timer.lap("reference");

    float[] rewards = new float[scores.getRewardsCount()];
    for (int i = 0; i < rewards.length; i++) {
      rewards[i] = scores.getRewards(i);
    }
    float[] advantages = GroupAdvantage.compute(rewards, g, cfg.getStdEps(), true);
    for (float a : advantages) {
      train.addAdvantages(a);
    }
    timer.lap("other");

    TrainStepResponse trained = c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
        TrainStepRequest.newBuilder().setOptimizer(optimizer).setGrpo(train)).build()).getTrained();
    c.workers.setPolicyVersion(trained.getPolicyVersion());
    timer.lap("train");

    c.workers.rolloutsAtPolicyVersion();
    timer.lap("weight_sync");

    double rewardMean = 0;
    for (float r : rewards) {
      rewardMean += r;
    }
    long correct = scores.getCorrectList().stream().filter(x -> x).count();
    return StepMetrics.newBuilder().setStageIndex(c.stageIndex).setStage(c.stage.getName()).setStep(step)
        .setTotalSteps(cfg.getSteps()).setLoss(trained.getLoss()).setRewardMean(rewardMean / rewards.length)
        .setAccuracy((double) correct / rewards.length).setKl(trained.getKl())
        .setClipFraction(trained.getClipFraction()).setEntropy(trained.getEntropy())
        .setResponseLength((double) generatedTokens / rollouts.size()).setGradNorm(trained.getGradNorm())
        .setLearningRate(cfg.getLearningRate())
        .setTokensPerSecond((generatedTokens + trained.getTokens()) / timer.total())
        .setSeconds(timer.total()).putAllPhaseSeconds(timer.phases());
  }
}
