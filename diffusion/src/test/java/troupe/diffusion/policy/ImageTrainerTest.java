package troupe.diffusion.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.diffusion.flow.FlowAdvantage;
import troupe.diffusion.image.ImageTensors;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.Prompt;
import troupe.diffusion.shapes.ShapesWorld;
import troupe.trainers.model.TensorCodec;
import troupe.v1.FlowGrpoBatch;
import troupe.v1.FlowMeansRequest;
import troupe.v1.FlowPretrainBatch;
import troupe.v1.ImageModelSpec;
import troupe.v1.ImageSamples;
import troupe.v1.OptimizerSettings;
import troupe.v1.SampleImagesRequest;
import troupe.v1.TrainStepResponse;

/** The image policy on a tiny model: pretraining, trajectories, and the on-policy properties of Flow-GRPO. */
class ImageTrainerTest {
  static final ImageModelSpec SPEC = ImageModelSpec.newBuilder().setImageSize(16).setPatchSize(4).setLayers(1)
      .setDModel(32).setHeads(2).setDFf(64).setPromptLayers(1).setTimeShift(1f).build();
  static final OptimizerSettings ADAM = OptimizerSettings.newBuilder().setLearningRate(1e-3f).setMaxGradNorm(1f)
      .build();
  /** Other settings than pretraining's: a fresh optimizer, as a new stage gets. */
  static final OptimizerSettings GRPO_ADAM = ADAM.toBuilder().setLearningRate(5e-4f).setWeightDecay(1e-4f).build();
  static final ShapesWorld WORLD = new ShapesWorld(0.15);
  static final List<String> PROMPTS = List.of("two red circles", "a blue square left of a green triangle");

  /** A few pretraining steps, so that every weight (including the zero-initialized gates) is live. */
  static ImageTrainer pretrained() {
    ImageTrainer policy = new ImageTrainer(SPEC, ShapesWorld.VOCABULARY, 5, "cpu");
    Random random = new Random(2);
    for (int step = 0; step < 5; step++) {
      TrainStepResponse r = policy.pretrainStep(pretrainBatch(random), ADAM);
      assertTrue(Double.isFinite(r.getLoss()) && r.getLoss() > 0);
    }
    return policy;
  }

  /** Eight rendered training prompts. */
  static FlowPretrainBatch pretrainBatch(Random random) {
    List<RgbImage> images = new ArrayList<>();
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Prompt p = WORLD.trainPrompt(random);
      images.add(WORLD.render(p, 16, random));
      prompts.add(p.text());
    }
    return FlowPretrainBatch.newBuilder().addAllPrompts(prompts).setImages(ImageTensors.toTensor(images)).build();
  }

  @Test
  void aFullCheckpointGoesOnExactlyWhereItStopped(@TempDir Path folder) throws Exception {
    FlowPretrainBatch next = pretrainBatch(new Random(9));
    try (ImageTrainer policy = pretrained();
        // Another seed: weights, optimizer moments and the noise stream must all come from the checkpoint.
        ImageTrainer restored = new ImageTrainer(SPEC, ShapesWorld.VOCABULARY, 77, "cpu")) {
      policy.saveFull(folder);
      restored.loadFull(folder);
      assertEquals(policy.version(), restored.version());
      TrainStepResponse a = policy.pretrainStep(next, ADAM);
      TrainStepResponse b = restored.pretrainStep(next, ADAM);
      assertEquals(a.getLoss(), b.getLoss(), 0, "same times and noise drawn");
      assertEquals(a.getGradNorm(), b.getGradNorm(), 0);
      assertEquals(policy.exportWeights(), restored.exportWeights(), "same AdamW update");
    }
  }

  static SampleImagesRequest.Builder sde(long version) {
    return SampleImagesRequest.newBuilder().addAllPrompts(PROMPTS).setSamplesPerPrompt(3).setSteps(4)
        .setNoiseLevel(0.7f).setGuidance(2f).setTimeShift(1f).setKeepTrajectory(true).setSeed(11)
        .setExpectVersion(version);
  }

  @Test
  void reScoringTheRolloutWithTheSameWeightsGivesRatioOneAndZeroKl() {
    try (ImageTrainer policy = pretrained();
        ImageModel reference = new ImageModel(SPEC, ShapesWorld.VOCABULARY, 99, "cpu")) {
      reference.loadWeights(policy.exportWeights());
      ImageSamples rollout = policy.sample(sde(policy.version()).build());
      assertEquals(List.of(6L, 5L, 3L, 16L, 16L), rollout.getLatents().getShapeList());
      assertEquals(List.of(6L, 4L), rollout.getLogProbs().getShapeList());
      List<String> perSample = new ArrayList<>();
      PROMPTS.forEach(p -> perSample.addAll(List.of(p, p, p)));
      var means = reference.means(FlowMeansRequest.newBuilder().addAllPrompts(perSample)
          .setLatents(rollout.getLatents()).setSigmas(rollout.getSigmas()).setTrainSteps(3).setNoiseLevel(0.7f)
          .setGuidance(2f).build());
      FlowGrpoBatch batch = FlowGrpoBatch.newBuilder().addAllPrompts(perSample).setLatents(rollout.getLatents())
          .setLogProbs(rollout.getLogProbs()).setSigmas(rollout.getSigmas()).setRefMeans(means.getMeans())
          .addAllAdvantages(List.of(1f, -1f, 0.5f, -0.5f, 0f, 0f)).setTrainSteps(3).setNoiseLevel(0.7f)
          .setGuidance(2f).setClipRange(1e-4f).setKlBeta(0.04f).setUpdates(1).build();
      TrainStepResponse first = policy.grpoStep(batch, ADAM);
      // One minibatch, evaluated before its own update: the policy is the sampler and the reference.
      assertEquals(0.0, first.getClipFraction(), "ratio must be 1 within the 1e-4 clip range");
      assertEquals(0.0, first.getKl(), 1e-9);
      assertEquals(policy.version(), first.getPolicyVersion());
      // The update moved the policy: the same batch now has a KL to the reference and ratios away from 1.
      TrainStepResponse second = policy.grpoStep(batch, ADAM);
      assertTrue(second.getKl() > 0, "kl after an update: " + second.getKl());
    }
  }

  /**
   * The policy gradient points the right way: with mean brightness as the reward, a dozen Flow-GRPO steps make
   * brighter images (and negated advantages make darker ones, checked by hand). Before the optimizer's weight decay
   * was decoupled, brightness fell whatever the sign of the advantages.
   */
  @Test
  void flowGrpoRaisesASimpleReward() {
    try (ImageTrainer policy = pretrained()) {
      int g = 8;
      List<String> perSample = new ArrayList<>();
      PROMPTS.forEach(p -> perSample.addAll(java.util.Collections.nCopies(g, p)));
      boolean[] valid = new boolean[perSample.size()];
      java.util.Arrays.fill(valid, true);
      double first = Double.NaN;
      double last = Double.NaN;
      for (int step = 0; step < 12; step++) {
        ImageSamples rollout = policy.sample(sde(policy.version()).setSamplesPerPrompt(g).setSeed(100 + step).build());
        List<RgbImage> images = ImageTensors.fromTensor(rollout.getImages());
        float[] rewards = new float[images.size()];
        double mean = 0;
        for (int i = 0; i < rewards.length; i++) {
          float[] pixels = images.get(i).chw();
          for (float v : pixels) {
            rewards[i] += v / pixels.length;
          }
          mean += rewards[i] / rewards.length;
        }
        first = step == 0 ? mean : first;
        last = mean;
        FlowGrpoBatch.Builder batch = FlowGrpoBatch.newBuilder().addAllPrompts(perSample)
            .setLatents(rollout.getLatents()).setLogProbs(rollout.getLogProbs()).setSigmas(rollout.getSigmas())
            .setTrainSteps(3).setNoiseLevel(0.7f).setGuidance(2f).setClipRange(1e-4f).setUpdates(1);
        for (float a : FlowAdvantage.compute(rewards, valid, g, true, 1e-4f, 5f)) {
          batch.addAdvantages(a);
        }
        policy.grpoStep(batch.build(), GRPO_ADAM);
      }
      assertTrue(last > first + 0.02, "mean brightness " + first + " -> " + last);
    }
  }

  @Test
  void anSdeWindowSamplesAndTrainsOnlyItsSteps() {
    try (ImageTrainer policy = pretrained()) {
      // Steps 1 and 2 of 4 are SDE; a group shares its start, so it is one trajectory until the window.
      ImageSamples rollout = policy.sample(sde(policy.version()).setSameInitialNoise(true).setSdeWindowStart(1)
          .setSdeWindowSize(2).build());
      try (var manager = ai.djl.ndarray.NDManager.newBaseManager()) {
        float[][] logProbs = new float[6][];
        var lp = TensorCodec.fromProto(rollout.getLogProbs(), manager);
        for (int i = 0; i < 6; i++) {
          logProbs[i] = lp.get(i).toFloatArray();
          assertEquals(0f, logProbs[i][0]);
          assertEquals(0f, logProbs[i][3]);
          assertTrue(logProbs[i][1] != 0f && logProbs[i][2] != 0f);
        }
        var latents = TensorCodec.fromProto(rollout.getLatents(), manager);
        assertEquals(latents.get("0, 1"), latents.get("2, 1"));          // after the ODE step 0: still together
        assertFalse(latents.get("0, 2").equals(latents.get("2, 2")));    // the window's noise parts them
      }
      List<String> perSample = new ArrayList<>();
      PROMPTS.forEach(p -> perSample.addAll(List.of(p, p, p)));
      FlowGrpoBatch batch = FlowGrpoBatch.newBuilder().addAllPrompts(perSample).setLatents(rollout.getLatents())
          .setLogProbs(rollout.getLogProbs()).setSigmas(rollout.getSigmas())
          .addAllAdvantages(List.of(1f, -1f, 0.5f, -0.5f, 0f, 0f)).setFirstTrainStep(1).setTrainSteps(2)
          .setNoiseLevel(0.7f).setGuidance(2f).setClipRange(1e-4f).setUpdates(1).build();
      assertEquals(0.0, policy.grpoStep(batch, GRPO_ADAM).getClipFraction(), "ratio 1 on the window's steps");
      var outside = batch.toBuilder().setFirstTrainStep(3).build();
      var e = assertThrows(IllegalArgumentException.class, () -> policy.grpoStep(outside, GRPO_ADAM));
      assertTrue(e.getMessage().contains("[3, 5)"), e.getMessage());
    }
  }

  @Test
  void samplingIsSeededAndRefusesOtherWeightVersions() {
    try (ImageTrainer policy = pretrained()) {
      ImageSamples a = policy.sample(sde(policy.version()).build());
      ImageSamples b = policy.sample(sde(policy.version()).build());
      assertEquals(a.getLatents(), b.getLatents());
      assertNotEquals(a.getLatents(), policy.sample(sde(policy.version()).setSeed(12).build()).getLatents());
      var ode = policy.sample(sde(policy.version()).setNoiseLevel(0f).setKeepTrajectory(false).build());
      assertEquals(List.of(6L, 3L, 16L, 16L), ode.getImages().getShapeList());
      assertTrue(ode.getLogProbs().getShapeList().isEmpty());
      // With same_initial_noise, the three samples of a prompt start alike and part on the SDE's noise.
      List<RgbImage> starts = startNoise(policy.sample(sde(policy.version()).setSameInitialNoise(true).build()));
      assertArrayEquals(starts.get(0).chw(), starts.get(2).chw());
      assertFalse(java.util.Arrays.equals(starts.get(2).chw(), starts.get(3).chw()));
      assertFalse(java.util.Arrays.equals(starts.get(0).chw(), startNoise(a).get(1).chw()));
      var e = assertThrows(IllegalStateException.class, () -> policy.sample(sde(policy.version() + 1).build()));
      assertTrue(e.getMessage().contains("version"), e.getMessage());
    }
  }

  /** x at t = 1 of each trajectory, as images. */
  static List<RgbImage> startNoise(ImageSamples samples) {
    try (var manager = ai.djl.ndarray.NDManager.newBaseManager()) {
      var latents = TensorCodec.fromProto(samples.getLatents(), manager);
      return ImageTensors.fromTensor(TensorCodec.toProto(latents.get(":, 0")));
    }
  }

  @Test
  void malformedTrajectoriesAreRejectedWithTheirShape() {
    try (ImageTrainer policy = pretrained()) {
      ImageSamples rollout = policy.sample(sde(policy.version()).build());
      FlowGrpoBatch bad = FlowGrpoBatch.newBuilder().addAllPrompts(PROMPTS).setLatents(rollout.getLatents())
          .setLogProbs(rollout.getLogProbs()).setSigmas(rollout.getSigmas()).addAllAdvantages(List.of(1f, -1f))
          .setTrainSteps(3).setNoiseLevel(0.7f).setGuidance(2f).setClipRange(1e-4f).setUpdates(1).build();
      var e = assertThrows(IllegalArgumentException.class, () -> policy.grpoStep(bad, ADAM));
      assertTrue(e.getMessage().contains("latents have shape"), e.getMessage());
      var noTrajectory = bad.toBuilder().clearLatents().build();
      e = assertThrows(IllegalArgumentException.class, () -> policy.grpoStep(noTrajectory, ADAM));
      assertTrue(e.getMessage().startsWith("latents missing"), e.getMessage());
    }
  }
}
