package troupe.actors;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import troupe.diffusion.image.ImageTensors;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.Prompt;
import troupe.v1.FlowPretrainBatch;
import troupe.v1.FlowPretrainConfig;
import troupe.v1.OptimizerSettings;
import troupe.v1.StepMetrics;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.WorkflowEvent;

/**
 * Rectified-flow pretraining on freshly rendered images of training prompts (algorithms.md 6.1). Each step renders
 * a new batch, so the model never sees the same image twice; with probability cond_dropout a prompt is replaced
 * by the empty one, which teaches the unconditional velocity that classifier-free guidance needs.
 */
final class FlowPretrainStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    FlowPretrainConfig cfg = c.stage.getFlowPretrain();
    int size = c.spec.getImageModel().getImageSize();
    OptimizerSettings optimizer = OptimizerSettings.newBuilder().setLearningRate(cfg.getLearningRate())
        .setMaxGradNorm(cfg.getMaxGradNorm()).setWarmupSteps(cfg.getWarmupSteps())
        .setWeightDecay(cfg.getWeightDecay()).build();
    c.workers.policy();
    ImageEvaluation eval = new ImageEvaluation(c, cfg.getEvalSteps(), cfg.getGuidance());
    ImageLoopState loop = ImageLoopState.begin(c, c.spec.getSeed() * 6_151 + c.stageIndex);
    Random data = loop.random();
    int step = loop.step();
    if (step == 0) {
      eval.run(0);
    }
    while (step < cfg.getSteps() && !c.outOfTime(cfg.getMaxSeconds())) {
      c.checkCancelled();
      step++;
      PhaseTimer timer = new PhaseTimer();
      List<String> prompts = new ArrayList<>(cfg.getBatchSize());
      List<RgbImage> images = new ArrayList<>(cfg.getBatchSize());
      for (int i = 0; i < cfg.getBatchSize(); i++) {
        Prompt p = c.world.trainPrompt(data);
        images.add(c.world.render(p, size, data));
        prompts.add(data.nextFloat() < cfg.getCondDropout() ? "" : p.text());
      }
      FlowPretrainBatch batch = FlowPretrainBatch.newBuilder().addAllPrompts(prompts)
          .setImages(ImageTensors.toTensor(images)).build();
      timer.lap("data");
      TrainStepResponse r = c.workers.client.ask(c.workers.policy(), c.workers.request().setTrainStep(
          TrainStepRequest.newBuilder().setOptimizer(optimizer).setFlowPretrain(batch)).build()).getTrained();
      c.workers.setPolicyVersion(r.getPolicyVersion());
      timer.lap("train");
      c.emit(WorkflowEvent.newBuilder().setStep(StepMetrics.newBuilder().setStageIndex(c.stageIndex)
          .setStage(c.stage.getName()).setStep(step).setTotalSteps(cfg.getSteps()).setLoss(r.getLoss())
          .setGradNorm(r.getGradNorm()).setLearningRate(cfg.getLearningRate())
          .setTokensPerSecond(r.getTokens() / timer.total()).setSeconds(timer.total())
          .putAllPhaseSeconds(timer.phases()).setElapsedSeconds(c.elapsedSeconds())));
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
}
