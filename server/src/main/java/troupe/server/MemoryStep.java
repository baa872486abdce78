package troupe.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import troupe.diffusion.image.ImageTensors;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.policy.ImageTrainer;
import troupe.diffusion.shapes.Prompt;
import troupe.diffusion.shapes.ShapesWorld;
import troupe.trainers.model.CharTokenizer;
import troupe.trainers.policy.PolicyTrainer;
import troupe.trainers.spec.RlPresets;
import troupe.v1.FlowPretrainBatch;
import troupe.v1.FloatList;
import troupe.v1.GrpoBatch;
import troupe.v1.OptimizerSettings;
import troupe.v1.RlConfig;
import troupe.v1.SftBatch;
import troupe.v1.StageSpec;
import troupe.v1.TokenSequence;
import troupe.v1.WorkflowSpec;

/**
 * The child side of `troupe bench-memory`: the policy trainer a worker builds for a workflow, and the batch of its
 * stage 0 as the stage sends it, on which the worker's own step function runs. Every sequence is max_seq_len tokens
 * long (the worst case the estimate assumes).
 */
final class MemoryStep implements AutoCloseable {
  private static final CharTokenizer TOKENIZER = CharTokenizer.INSTANCE;
  private static final int PROMPT_TOKENS = 8;

  private final WorkflowSpec spec;
  private final StageSpec stage;
  private final Random random = new Random(1);
  private final PolicyTrainer text;
  private final ImageTrainer image;

  MemoryStep(WorkflowSpec spec) {
    this.spec = spec;
    this.stage = spec.getStages(0);
    boolean isImage = stage.hasFlowPretrain();
    text = isImage ? null : new PolicyTrainer(spec.getModel(), spec.getSeed(), "cpu");
    image = isImage ? new ImageTrainer(spec.getImageModel(), ShapesWorld.VOCABULARY, spec.getSeed(), "cpu") : null;
  }

  /** The sequences (or images) of one step of the stage. */
  int stageRows() {
    return switch (stage.getAlgorithmCase()) {
      case SFT -> stage.getSft().getBatchSize();
      case FLOW_PRETRAIN -> stage.getFlowPretrain().getBatchSize();
      default -> RlPresets.config(stage).getPromptsPerStep() * RlPresets.config(stage).getGroupSize();
    };
  }

  /** A step on {@code rows} sequences or images: the batch is built now, the returned step runs the compute. */
  Runnable step(int rows) {
    return switch (stage.getAlgorithmCase()) {
      case SFT -> {
        var c = stage.getSft();
        SftBatch batch = SftBatch.newBuilder().addAllExamples(sequences(rows)).build();
        OptimizerSettings o = OptimizerSettings.newBuilder().setLearningRate(c.getLearningRate())
            .setMaxGradNorm(c.getMaxGradNorm()).build();
        yield () -> text.sftStep(batch, o, c.getMicroBatchSize());
      }
      case FLOW_PRETRAIN -> {
        var c = stage.getFlowPretrain();
        FlowPretrainBatch batch = images(rows);
        OptimizerSettings o = OptimizerSettings.newBuilder().setLearningRate(c.getLearningRate())
            .setMaxGradNorm(c.getMaxGradNorm()).build();
        yield () -> image.pretrainStep(batch, o);
      }
      default -> {
        RlConfig c = RlPresets.config(stage);
        GrpoBatch batch = rollouts(c, rows);
        OptimizerSettings o = OptimizerSettings.newBuilder().setLearningRate(c.getLearningRate())
            .setMaxGradNorm(c.getMaxGradNorm()).build();
        yield () -> text.rlStep(batch, o, 0);
      }
    };
  }

  private List<TokenSequence> sequences(int n) {
    List<TokenSequence> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      TokenSequence.Builder s = TokenSequence.newBuilder();
      for (int t = 0; t < spec.getModel().getMaxSeqLen(); t++) {
        int token = TOKENIZER.encode(String.valueOf((char) ('0' + random.nextInt(10))))[0];
        if (t < PROMPT_TOKENS) {
          s.addPrompt(token);
        } else {
          s.addCompletion(token);
        }
      }
      rows.add(s.build());
    }
    return rows;
  }

  /** As RlStage.trainPolicy sends them: sequence advantages, and reference and sampling log-probs per token. */
  private GrpoBatch rollouts(RlConfig c, int n) {
    GrpoBatch.Builder b = GrpoBatch.newBuilder().setClipLow(c.getClipLow()).setClipHigh(c.getClipHigh())
        .setKlBeta(c.getKlBeta()).setLossAgg(c.getLossAgg()).setUpdates(c.getUpdatesPerBatch())
        .setTemperature(c.getTemperature()).setPolicyLoss(c.getPolicyLoss()).setKlEstimator(c.getKlEstimator())
        .setEntropyCoef(c.getEntropyCoef()).setLossNorm(c.getMaxNewTokens());
    for (TokenSequence s : sequences(n)) {
      FloatList.Builder logProbs = FloatList.newBuilder();
      for (int t = 0; t < s.getCompletionCount(); t++) {
        logProbs.addValues(-2f - random.nextFloat());
      }
      b.addRollouts(s).addAdvantages((float) random.nextGaussian()).addOldLogProbs(logProbs);
      if (c.getKlBeta() > 0) {
        b.addRefLogProbs(logProbs);
      }
    }
    return b.build();
  }

  /** As FlowPretrainStage renders them: training prompts and their images. */
  private FlowPretrainBatch images(int n) {
    ShapesWorld world = new ShapesWorld(spec.getShapes().getHeldOutFraction());
    List<String> prompts = new ArrayList<>(n);
    List<RgbImage> images = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Prompt p = world.trainPrompt(random);
      images.add(world.render(p, spec.getImageModel().getImageSize(), random));
      prompts.add(p.text());
    }
    return FlowPretrainBatch.newBuilder().addAllPrompts(prompts).setImages(ImageTensors.toTensor(images)).build();
  }

  @Override
  public void close() {
    if (text != null) {
      text.close();
    }
    if (image != null) {
      image.close();
    }
  }
}
