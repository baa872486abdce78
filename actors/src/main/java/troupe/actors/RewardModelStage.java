package troupe.actors;

import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.v1.ArtifactWritten;
import troupe.v1.LoopState;
import troupe.v1.OptimizerSettings;
import troupe.v1.PreferenceBatch;
import troupe.v1.RewardModelConfig;
import troupe.v1.SaveCheckpoint;
import troupe.v1.StepMetrics;
import troupe.v1.TrainStepRequest;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepResponse;
import troupe.v1.WorkflowEvent;

/**
 * A reward model trained on chosen/rejected pairs (Bradley-Terry) on a critic worker: a scalar head on a transformer
 * that starts as the policy's. Held-out pair accuracy is measured at each evaluation; the result is a checkpoint in
 * the workflow folder, which a later stage's {@code reward: {kind: model}} scores with. Resume points keep the
 * model's full state and the data cursor.
 */
final class RewardModelStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    RewardModelConfig cfg = c.stage.getRewardModel();
    PreferencePairs pairs = PreferencePairs.read(c.folder.resolve(cfg.getTrainFile()), cfg.getMaxBadLines(),
        cfg.getEvalFraction(), c.spec.getSeed() * 37 + c.stageIndex);
    // From the policy as the stage began; a resume past the start loads the whole model from the point instead.
    boolean fromPolicy = cfg.getInit().equals("policy") && !c.resumesMidStage();
    ActorRef<WorkerAsk> model = c.workers.critic(fromPolicy ? c.workers.exportPolicy() : null);
    OptimizerSettings optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
        .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps()).build();
    ResumePart modelState = ResumePart.critic(c.workers, model);
    int step = 0;
    LoopState resumed = c.resumeMidStage(modelState);
    if (resumed != null) {
      step = resumed.getStep();
      pairs.seek(resumed.getData());
    }
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      PhaseTimer timer = new PhaseTimer();
      TrainStepResponse trained = ask(c, model, optimizer, pairs, pairs.nextTrainBatch(cfg.getBatchSize()), false);
      timer.lap("train");
      StepMetrics.Builder metrics = StepMetrics.newBuilder().setStageIndex(c.stageIndex).setStage(c.stage.getName())
          .setStep(step).setTotalSteps(cfg.getSteps()).setLoss(trained.getLoss()).setGradNorm(trained.getGradNorm())
          .setLearningRate(cfg.getLearningRate()).setPreference(trained.getPreference());
      if (c.evalDue(step, cfg.getSteps()) && !pairs.heldOut().isEmpty()) {
        metrics.setPreferenceEval(HeldOutPairs.measure(pairs.heldOut(), cfg.getBatchSize(),
            part -> ask(c, model, optimizer, pairs, part, true).getPreference()));
        timer.lap("eval");
      }
      c.emit(WorkflowEvent.newBuilder().setStep(metrics.setSeconds(timer.total()).putAllPhaseSeconds(timer.phases())
          .setElapsedSeconds(c.elapsedSeconds())));
      if (c.resumePointDue(step, cfg.getSteps())) {
        c.saveResumePoint(LoopState.newBuilder().setStep(step).setData(pairs.cursor()), modelState);
      }
    }
    Path file = c.folder.resolve(cfg.getOutput()); // a plain file name, checked at submission
    c.workers.client.ask(model, c.workers.request().setSaveCheckpoint(SaveCheckpoint.newBuilder()
        .setPath(file.toAbsolutePath().toString())).build());
    c.emit(WorkflowEvent.newBuilder().setArtifact(ArtifactWritten.newBuilder().setStageIndex(c.stageIndex)
        .setPath(cfg.getOutput()).setDescription("reward model trained for " + step + " steps on "
            + cfg.getTrainFile())));
    return step;
  }

  private static TrainStepResponse ask(StageContext c, ActorRef<WorkerAsk> model, OptimizerSettings optimizer,
      PreferencePairs pairs, List<Integer> indices, boolean evaluateOnly) {
    PreferenceBatch.Builder b = PreferenceBatch.newBuilder().setEvaluateOnly(evaluateOnly);
    for (int i : indices) {
      TokenSequence[] pair = pairs.pair(i);
      b.addChosen(pair[0]).addRejected(pair[1]);
    }
    return c.workers.client.ask(model, c.workers.request().setTrainStep(TrainStepRequest.newBuilder()
        .setOptimizer(optimizer).setPreference(b)).build()).getTrained();
  }
}
