package troupe.actors;

import java.nio.file.Path;
import troupe.trainers.data.RecordKind;
import troupe.trainers.data.SftRecord;
import java.util.ArrayList;
import java.util.List;
import troupe.trainers.tasks.Example;
import troupe.v1.LoopState;
import troupe.v1.OptimizerSettings;
import troupe.v1.SftBatch;
import troupe.v1.SftConfig;
import troupe.v1.StepMetrics;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.WorkflowEvent;

/**
 * Supervised fine-tuning on the task's labelled set or a train_file: shuffled epochs, completion-only loss
 * (algorithms.md 1). Resume points keep where the data stood.
 */
final class SftStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    SftConfig cfg = c.stage.getSft();
    List<TokenSequence> labelled = new ArrayList<>();
    FileData<SftRecord> file = null;
    if (cfg.getTrainFile().isEmpty()) {
      for (Example e : c.task.labelled(c.spec.getTask().getLabelledSize(), c.spec.getSeed())) {
        labelled.add(example(e));
      }
    } else { // read on demand through an offset index: the file may be larger than memory
      file = FileData.open(Path.of(cfg.getTrainFile()), RecordKind.SFT, cfg.getMaxBadLines(), 0f,
          c.spec.getSeed() * 7919 + c.stageIndex);
      if (file.badLines().count() > 0) {
        c.emit(WorkflowEvent.newBuilder().setNotice(troupe.v1.Notice.newBuilder().setText("warning: "
            + file.badLines().summary())));
      }
    }
    ShuffledEpochs epochs = new ShuffledEpochs(labelled.size(), c.spec.getSeed() * 7919 + c.stageIndex);
    OptimizerSettings optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
        .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps()).setWeightDecay(cfg.getWeightDecay())
        .setSchedule(cfg.getLrSchedule()).setTotalSteps(cfg.getSteps())
        .setFinalLearningRate(cfg.getLearningRate() * cfg.getMinLrRatio()).build();
    c.workers.policy();
    int step = 0;
    LoopState resumed = c.resumeMidStage();
    if (resumed == null) {
      c.evaluate(0);
    } else {
      step = resumed.getStep();
      if (file == null) {
        epochs.restore(resumed);
      } else {
        file.seek(resumed.getData());
      }
    }
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      long started = System.nanoTime();
      SftBatch.Builder batch = SftBatch.newBuilder()
          .setPackLength(cfg.getPacking() ? c.spec.getModel().getMaxSeqLen() : 0);
      for (int i = 0; file == null && i < cfg.getBatchSize(); i++) {
        batch.addExamples(labelled.get(epochs.next()));
      }
      if (file != null) {
        for (int index : file.nextTrainBatch(cfg.getBatchSize())) {
          SftRecord r = file.get(index);
          batch.addExamples(file.sequence(index, r.prompt(), r.completion(), "completion"));
        }
      }
      TrainStepResponse r = c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
          TrainStepRequest.newBuilder().setOptimizer(optimizer).setMicroBatchSize(cfg.getMicroBatchSize())
              .setSft(batch)).build()).getTrained();
      c.workers.setPolicyVersion(r.getPolicyVersion());
      double seconds = (System.nanoTime() - started) / 1e9;
      c.emit(WorkflowEvent.newBuilder().setStep(StepMetrics.newBuilder().setStageIndex(c.stageIndex)
          .setStage(c.stage.getName()).setStep(step).setTotalSteps(cfg.getSteps()).setLoss(r.getLoss())
          .setEntropy(r.getEntropy()).setGradNorm(r.getGradNorm()).setLearningRate(cfg.getLearningRate())
          .setTokensPerSecond(r.getTokens() / seconds).setSeconds(seconds).putPhaseSeconds("train", r.getSeconds())
          .putPhaseSeconds("other", seconds - r.getSeconds()).setElapsedSeconds(c.elapsedSeconds())));
      if (c.evalDue(step, cfg.getSteps())) {
        c.evaluate(step);
      }
      if (c.checkpointDue(step)) {
        c.checkpoint(step);
      }
      if (c.resumePointDue(step, cfg.getSteps())) {
        LoopState.Builder state = LoopState.newBuilder().setStep(step);
        if (file == null) {
          epochs.saveTo(state);
        } else {
          state.setData(file.cursor());
        }
        c.saveResumePoint(state);
      }
    }
    if (step > 0 && !c.evalDue(step, cfg.getSteps())) {
      c.evaluate(step); // stopped early by max_seconds: still report where it ended
    }
    c.checkpoint(step);
    return step;
  }

  static TokenSequence example(Example e) {
    TokenSequence.Builder b = StageContext.prompt(e.prompt()).toBuilder();
    for (int t : StageContext.TOKENIZER.encode(e.answer())) {
      b.addCompletion(t);
    }
    return b.addCompletion(StageContext.TOKENIZER.eos()).build(); // EOS is a trained label (section 1)
  }
}
