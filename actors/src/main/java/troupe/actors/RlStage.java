package troupe.actors;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.trainers.algo.AdvantageEstimators;
import troupe.trainers.algo.BatchStats;
import troupe.trainers.algo.DynamicSampling;
import troupe.trainers.algo.ExplainedVariance;
import troupe.trainers.algo.GroupAdvantage;
import troupe.trainers.algo.KlController;
import troupe.trainers.algo.OverlongPunishment;
import troupe.trainers.algo.RaggedRows;
import troupe.trainers.algo.Whitening;
import troupe.trainers.spec.RlPresets;
import troupe.trainers.tasks.Example;
import troupe.v1.CriticBatch;
import troupe.v1.FloatList;
import troupe.v1.GenerateRequest;
import troupe.v1.GrpoBatch;
import troupe.v1.LoopState;
import troupe.v1.LogProbsRequest;
import troupe.v1.Notice;
import troupe.v1.OptimizerSettings;
import troupe.v1.RlConfig;
import troupe.v1.Rollout;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreResponse;
import troupe.v1.StepMetrics;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.ValuesRequest;
import troupe.v1.WorkflowEvent;

/**
 * Every online RL preset on text (grpo, dr_grpo, dapo, rloo, reinforce_pp, reinforce_pp_baseline, gspo, ppo), as one
 * loop over named parts. Per step: sample G completions for each of P training prompts (DAPO: more rounds until P
 * groups have mixed accuracy), score them, shape the scores (overlong punishment, whitening), get the log-probs the
 * KL needs and the critic's values, compute advantages with the named estimator, train the critic (PPO) and the
 * policy, and sync the new weights to the rollout workers. Every phase is timed.
 */
final class RlStage implements StageLoop {
  private static final List<String> SEQUENCE_ESTIMATORS = List.of("grpo", "dr_grpo", "rloo");

  @Override
  public int run(StageContext c) {
    RlConfig cfg = RlPresets.config(c.stage);
    c.workers.policy();
    ActorRef<WorkerAsk> reference = null;
    if (cfg.getKlBeta() > 0 && !cfg.getKlPlacement().equals("none")) {
      reference = c.workers.referenceOfPolicy(); // the policy as this stage begins
    }
    ActorRef<WorkerAsk> critic = null;
    ResumePart[] parts = {};
    if (!cfg.getCriticInit().equals("none")) {
      // Made as at the stage's start (critic_init policy: from the policy as the stage began); a resume past the
      // start loads its whole state from the point instead, so the policy's weights are not fetched for it.
      boolean fromPolicy = cfg.getCriticInit().equals("policy") && !c.resumesMidStage();
      critic = c.workers.critic(fromPolicy ? c.workers.exportPolicy() : null);
      parts = new ResumePart[] {ResumePart.critic(c.workers, critic)};
    }
    Loop loop = new Loop(c, cfg, reference, critic);
    int step = 0;
    // The reference and the critic were made from the stage's start above; the rest goes on from the point.
    LoopState resumed = c.resumeMidStage(parts);
    if (resumed != null) {
      step = loop.restore(resumed);
    } else {
      c.evaluate(0);
    }
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      StepMetrics.Builder metrics = loop.step(step);
      c.emit(WorkflowEvent.newBuilder().setStep(metrics.setElapsedSeconds(c.elapsedSeconds())));
      if (c.evalDue(step, cfg.getSteps())) {
        c.evaluate(step);
      }
      if (c.checkpointDue(step)) {
        c.checkpoint(step);
      }
      if (c.resumePointDue(step, cfg.getSteps())) {
        c.saveResumePoint(loop.state(step), parts);
      }
    }
    if (step > 0 && !c.evalDue(step, cfg.getSteps())) {
      c.evaluate(step);
    }
    c.checkpoint(step);
    return step;
  }

  /** The state that lives across steps: prompt stream, KL coefficient, count of bad steps. */
  private static final class Loop {
    private final StageContext c;
    private final RlConfig cfg;
    private final ActorRef<WorkerAsk> reference;
    private final ActorRef<WorkerAsk> critic;
    private Random prompts;
    private final OptimizerSettings optimizer;
    private final OptimizerSettings criticOptimizer;
    private KlController kl;
    private final RlConfig config;
    private int badInARow;
    private int skippedSteps;
    private int sampled;          // completions generated this step, over every round
    private int sampledCorrect;

    Loop(StageContext c, RlConfig cfg, ActorRef<WorkerAsk> reference, ActorRef<WorkerAsk> critic) {
      this.c = c;
      this.cfg = cfg;
      this.reference = reference;
      this.critic = critic;
      this.prompts = new Random(c.spec.getSeed() * 104_729 + c.stageIndex);
      this.optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
          .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps()).build();
      this.criticOptimizer = optimizer.toBuilder().setLearningRate(cfg.getCriticLearningRate()).build();
      this.kl = KlController.create(cfg.getKlController(), cfg.getKlBeta(), cfg.getKlTarget(), cfg.getKlHorizon());
      this.config = cfg;
    }

    /** What a resume point keeps of the loop after {@code step}: the prompt stream, the KL coefficient, counters. */
    LoopState.Builder state(int step) {
      return LoopState.newBuilder().setStep(step).setRandomState(RandomState.save(prompts))
          .setKlBeta(kl.beta()).setSkippedSteps(skippedSteps).setBadInARow(badInARow);
    }

    /** Puts the loop back to a saved state; returns the step it stood at. */
    int restore(LoopState s) {
      prompts = RandomState.load(s.getRandomState());
      kl = KlController.create(config.getKlController(), s.getKlBeta(), config.getKlTarget(), config.getKlHorizon());
      skippedSteps = s.getSkippedSteps();
      badInARow = s.getBadInARow();
      return s.getStep();
    }

    /** One group: its prompt, its G rollouts and their scores. */
    private record Group(Example example, List<Rollout> rollouts, float[] rewards, boolean[] correct) {}

    StepMetrics.Builder step(int step) {
      PhaseTimer timer = new PhaseTimer();
      int g = cfg.getGroupSize();
      sampled = 0;
      sampledCorrect = 0;
      c.workers.shardStats.reset();
      DynamicSampling.Filled<Group> filled = DynamicSampling.fill(cfg.getPromptsPerStep(),
          cfg.getDynamicSampling() ? cfg.getMaxGenerationRounds() : 1, cfg.getDynamicSampling(),
          () -> sampleRound(step, timer));
      List<Group> groups = filled.groups();
      if (groups.size() < cfg.getPromptsPerStep()) {
        c.emit(WorkflowEvent.newBuilder().setNotice(Notice.newBuilder().setText(String.format(
            "warning: step %d of stage %s: dynamic sampling found %d of %d groups with mixed accuracy in %d rounds "
                + "(max_generation_rounds)%s", step, c.stage.getName(), groups.size(), cfg.getPromptsPerStep(),
            filled.rounds(), groups.isEmpty() ? "; nothing to train on, step skipped" : "; training on those"))));
        if (groups.isEmpty()) {
          return StepMetrics.newBuilder().setStageIndex(c.stageIndex).setStage(c.stage.getName()).setStep(step)
              .setTotalSteps(cfg.getSteps()).setAccuracy((double) sampledCorrect / sampled)
              .setSamplingRounds(filled.rounds()).setSeconds(timer.total()).putAllPhaseSeconds(timer.phases());
        }
      }

      // Flatten group by group: rows g*G .. g*G+G-1 share a prompt, as the estimators expect.
      List<TokenSequence> sequences = new ArrayList<>();
      int n = groups.size() * g;
      float[] scores = new float[n];
      int[] lengths = new int[n];
      boolean[] truncated = new boolean[n];
      int maxLength = 0;
      long generatedTokens = 0;
      for (int i = 0; i < groups.size(); i++) {
        Group group = groups.get(i);
        for (int j = 0; j < g; j++) {
          Rollout r = group.rollouts().get(j);
          int row = i * g + j;
          sequences.add(TokenSequence.newBuilder().addAllPrompt(r.getPromptList())
              .addAllCompletion(r.getCompletionList()).build());
          lengths[row] = r.getCompletionCount();
          truncated[row] = !r.getFinished();
          scores[row] = group.rewards()[j] + OverlongPunishment.penalty(lengths[row], cfg.getMaxNewTokens(),
              cfg.getOverlongBuffer(), cfg.getOverlongPenalty());
          maxLength = Math.max(maxLength, lengths[row]);
          generatedTokens += lengths[row];
        }
      }
      BatchStats.Summary reward = BatchStats.of(scores);
      float zeroStd = GroupAdvantage.zeroStdFraction(scores, g);
      if (cfg.getWhitenRewards()) {
        scores = Whitening.whiten(scores, cfg.getStdUnbiased(), false); // scale only (TRL whiten_rewards)
      }

      // The log-probs and values the advantages need, computed once per rollout (sections 0.5, 2.2).
      String placement = cfg.getKlPlacement();
      float beta = kl.beta();
      boolean rewardKl = placement.equals("reward") && beta > 0;
      boolean lossKl = placement.equals("loss") && beta > 0;
      List<float[]> refLogProbs = reference == null ? null : toArrays(c.workers.askReference(c.workers.request()
          .setLogProbs(LogProbsRequest.newBuilder().addAllSequences(sequences).setTemperature(cfg.getTemperature()))
          .build()).getLogProbs().getLogProbsList());
      timer.lap("reference");
      List<float[]> oldLogProbs = rewardKl || cfg.getUpdatesPerBatch() > 1 ? logProbs(c.workers.policy(), sequences)
          : null;
      List<float[]> values = critic == null ? null : values(sequences);
      timer.lap("old_log_probs");

      float[][] mask = RaggedRows.mask(lengths);
      int columns = mask.length == 0 ? 0 : mask[0].length;
      List<float[]> tokenKl = rewardKl ? RaggedRows.klPerToken(cfg.getKlEstimator(), oldLogProbs, refLogProbs) : null;
      AdvantageEstimators.Advantages adv = AdvantageEstimators.byName(cfg.getAdvantageEstimator()).estimate(
          new AdvantageEstimators.Input(scores, g, mask, tokenKl == null ? null : RaggedRows.pad(tokenKl, columns),
              rewardKl ? beta : 0f, values == null ? null : RaggedRows.pad(values, columns)),
          new AdvantageEstimators.Params(cfg.getGamma(), cfg.getGaeLambda(), cfg.getStdEps(), cfg.getStdUnbiased()));
      List<float[]> advantages = RaggedRows.unpad(adv.advantages(), lengths);
      timer.lap("advantage");

      StepMetrics.Builder metrics = c.workers.shardStats.drainInto(StepMetrics.newBuilder());
      if (critic != null) {
        List<float[]> returns = RaggedRows.unpad(adv.returns(), lengths);
        metrics.setExplainedVariance(ExplainedVariance.of(returns, values));
        TrainStepResponse trainedCritic = trainCritic(sequences, returns, values);
        metrics.setValueLoss(trainedCritic.getValueLoss());
        timer.lap("critic");
      }

      // DAPO overlong filtering: truncated completions keep their place in the group statistics above but leave
      // the loss (section 5.2 item 4).
      List<Integer> trained = new ArrayList<>();
      for (int row = 0; row < n; row++) {
        if (!(cfg.getOverlongFilter() && truncated[row]) && lengths[row] > 0) {
          trained.add(row);
        }
      }
      TrainStepResponse policy = TrainStepResponse.getDefaultInstance();
      boolean criticWarmup = critic != null && step <= cfg.getCriticWarmupSteps();
      if (!trained.isEmpty() && !criticWarmup) {
        policy = trainPolicy(trained, sequences, advantages, lossKl ? beta : 0f, refLogProbs, oldLogProbs);
        if (policy.getSkippedUpdates() > 0) {
          onBadStep(step, policy.getSkipReason());
        } else {
          badInARow = 0;
          c.workers.setPolicyVersion(policy.getPolicyVersion());
        }
      }
      timer.lap("train");
      c.workers.rolloutsAtPolicyVersion();
      timer.lap("weight_sync");

      double observedKl = rewardKl ? BatchStats.overTokens(tokenKl).mean() : policy.getKl();
      kl = kl.update((float) observedKl, n);

      BatchStats.Summary advStats = BatchStats.overTokens(advantages);
      return metrics.setStageIndex(c.stageIndex).setStage(c.stage.getName()).setStep(step)
          .setTotalSteps(cfg.getSteps()).setLoss(policy.getLoss()).setRewardMean(reward.mean()).setRewardStd(reward.std())
          .setAccuracy((double) sampledCorrect / sampled).setKl(observedKl).setKlCoef(beta)
          .setClipFraction(policy.getClipFraction()).setClipFractionLow(policy.getClipFractionLow())
          .setClipFractionHigh(policy.getClipFractionHigh()).setApproxKl(policy.getApproxKl())
          .setEntropy(policy.getEntropy()).setResponseLength((double) generatedTokens / n)
          .setResponseLengthMax(maxLength).setTruncatedFraction(BatchStats.fraction(truncated))
          .setAdvantageMean(advStats.mean()).setAdvantageStd(advStats.std()).setAdvantageMin(advStats.min())
          .setAdvantageMax(advStats.max()).setZeroStdFraction(zeroStd).setSamplingRounds(filled.rounds())
          .setSkippedSteps(skippedSteps).setGradNorm(policy.getGradNorm()).setLearningRate(cfg.getLearningRate())
          .setSamples(sampled).setTokensPerSecond((generatedTokens + policy.getTokens()) / timer.total())
          .setSeconds(timer.total()).putAllPhaseSeconds(timer.phases());
    }

    /** One generation round: P fresh prompts, G samples each, scored. */
    private List<DynamicSampling.Group<Group>> sampleRound(int step, PhaseTimer timer) {
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
          .setSeed(prompts.nextLong()));
      timer.lap("rollout");
      List<ScoreItem> items = new ArrayList<>();
      for (Rollout r : rollouts) {
        Example e = batch.get(r.getPromptIndex());
        items.add(ScoreItem.newBuilder().setPrompt(e.prompt()).setCompletion(r.getCompletionText())
            .setAnswer(e.answer()).build());
      }
      ScoreResponse scores = c.score(items);
      timer.lap("reward");
      List<DynamicSampling.Group<Group>> groups = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        float[] rewards = new float[g];
        boolean[] correct = new boolean[g];
        for (int j = 0; j < g; j++) {
          rewards[j] = scores.getRewards(i * g + j);
          correct[j] = scores.getCorrect(i * g + j);
          sampledCorrect += correct[j] ? 1 : 0;
        }
        sampled += g;
        groups.add(new DynamicSampling.Group<>(
            new Group(batch.get(i), rollouts.subList(i * g, (i + 1) * g), rewards, correct), correct));
      }
      return groups;
    }

    private TrainStepResponse trainPolicy(List<Integer> rows, List<TokenSequence> sequences,
        List<float[]> advantages, float lossBeta, List<float[]> ref, List<float[]> old) {
      boolean perSequence = SEQUENCE_ESTIMATORS.contains(cfg.getAdvantageEstimator());
      GrpoBatch.Builder b = GrpoBatch.newBuilder().setClipLow(cfg.getClipLow()).setClipHigh(cfg.getClipHigh())
          .setKlBeta(lossBeta).setLossAgg(cfg.getLossAgg()).setUpdates(cfg.getUpdatesPerBatch())
          .setTemperature(cfg.getTemperature()).setPolicyLoss(cfg.getPolicyLoss()).setDualClipC(cfg.getDualClipC())
          .setLogRatioClamp(cfg.getLogRatioClamp()).setKlEstimator(cfg.getKlEstimator())
          .setEntropyCoef(cfg.getEntropyCoef()).setLossNorm(cfg.getMaxNewTokens());
      for (int row : rows) {
        b.addRollouts(sequences.get(row));
        if (perSequence) {
          b.addAdvantages(advantages.get(row)[0]); // the same value on every token of the row
        } else {
          b.addTokenAdvantages(floats(advantages.get(row)));
        }
        if (lossBeta > 0) {
          b.addRefLogProbs(floats(ref.get(row)));
        }
        if (old != null) {
          b.addOldLogProbs(floats(old.get(row)));
        }
      }
      return c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
          TrainStepRequest.newBuilder().setOptimizer(optimizer).setGrpo(b)).build()).getTrained();
    }

    private TrainStepResponse trainCritic(List<TokenSequence> sequences, List<float[]> returns,
        List<float[]> oldValues) {
      CriticBatch.Builder b = CriticBatch.newBuilder().addAllRollouts(sequences).setValueClip(cfg.getValueClip())
          .setUpdates(cfg.getUpdatesPerBatch());
      for (int i = 0; i < sequences.size(); i++) {
        b.addReturns(floats(returns.get(i))).addOldValues(floats(oldValues.get(i)));
      }
      return c.workers.client.ask(c.workers.critic(), c.workers.request().setTrainStep(
          TrainStepRequest.newBuilder().setOptimizer(criticOptimizer).setCritic(b)).build()).getTrained();
    }

    /** A skipped step is a warning; several in a row fail the stage with the weights of the last good step. */
    private void onBadStep(int step, String reason) {
      skippedSteps++;
      badInARow++;
      c.emit(WorkflowEvent.newBuilder().setNotice(Notice.newBuilder().setText("warning: step " + step
          + " of stage " + c.stage.getName() + " skipped (" + reason + "); " + badInARow + " in a row")));
      if (badInARow >= cfg.getMaxBadSteps()) {
        c.checkpoint(step); // the weights are those of the last good step: skipped updates change nothing
        throw new WorkerFailure(badInARow + " steps in a row had a non-finite loss or gradient (max_bad_steps "
            + cfg.getMaxBadSteps() + "); last: " + reason + ". The last good weights are in the checkpoint.");
      }
    }

    private List<float[]> logProbs(ActorRef<WorkerAsk> worker, List<TokenSequence> sequences) {
      return toArrays(c.workers.client.ask(worker, c.workers.request().setLogProbs(LogProbsRequest.newBuilder()
          .addAllSequences(sequences).setTemperature(cfg.getTemperature())).build()).getLogProbs().getLogProbsList());
    }

    private List<float[]> values(List<TokenSequence> sequences) {
      return toArrays(c.workers.client.ask(c.workers.critic(), c.workers.request().setValues(ValuesRequest.newBuilder()
          .addAllSequences(sequences)).build()).getValues().getValuesList());
    }
  }

  static List<float[]> toArrays(List<FloatList> lists) {
    List<float[]> out = new ArrayList<>(lists.size());
    for (FloatList f : lists) {
      float[] a = new float[f.getValuesCount()];
      for (int i = 0; i < a.length; i++) {
        a[i] = f.getValues(i);
      }
      out.add(a);
    }
    return out;
  }

  static FloatList floats(float[] values) {
    FloatList.Builder b = FloatList.newBuilder();
    for (float v : values) {
      b.addValues(v);
    }
    return b.build();
  }
}
