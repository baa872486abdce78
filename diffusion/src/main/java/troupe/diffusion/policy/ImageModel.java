package troupe.diffusion.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import troupe.diffusion.flow.FlowSchedule;
import troupe.diffusion.flow.FlowSde;
import troupe.diffusion.model.FlowDiT;
import troupe.diffusion.model.ImageModelConfig;
import troupe.diffusion.model.PromptTokenizer;
import troupe.trainers.model.NoGrad;
import troupe.trainers.model.TensorCodec;
import troupe.trainers.policy.VersionedModel;
import troupe.v1.FlowMeans;
import troupe.v1.FlowMeansRequest;
import troupe.v1.ImageModelSpec;
import troupe.v1.ImageSamples;
import troupe.v1.SampleImagesRequest;

/**
 * One copy of a text-to-image flow model with a weight version: what the policy, reference and rollout workers
 * hold for an image workflow. Samples images (ODE, or SDE with per-transition log-probs) and gives the SDE means
 * of given trajectories; {@link ImageTrainer} adds training.
 */
public class ImageModel extends VersionedModel {
  /** Longest prompt in words; the shapes grammar needs 8. */
  public static final int MAX_WORDS = 10;

  protected final FlowDiT model;
  protected final PromptTokenizer tokenizer;

  public ImageModel(ImageModelSpec spec, List<String> vocabulary, long seed, String device) {
    super(device);
    this.tokenizer = new PromptTokenizer(vocabulary, MAX_WORDS);
    this.model = new FlowDiT(manager, config(spec, tokenizer), seed);
  }

  public static ImageModelConfig config(ImageModelSpec s, PromptTokenizer tokenizer) {
    return new ImageModelConfig(s.getImageSize(), s.getPatchSize(), s.getLayers(), s.getDModel(), s.getHeads(),
        s.getDFf(), s.getPromptLayers(), tokenizer.vocabSize(), tokenizer.maxWords());
  }

  public FlowDiT network() {
    return model;
  }

  @Override
  protected LinkedHashMap<String, NDArray> parameters() {
    return model.parameters();
  }

  @Override
  protected void loadParameters(Map<String, NDArray> values) {
    model.loadParameters(values);
  }

  /** Prompt ids and masks for the conditional and the unconditional (empty prompt) branch. */
  record Conditions(NDList cond, NDList uncond) {}

  Conditions conditions(NDManager scope, List<String> prompts) {
    List<String> empty = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      empty.add("");
    }
    return new Conditions(tokenizer.batch(scope, prompts), tokenizer.batch(scope, empty));
  }

  /**
   * Classifier-free guidance: v_uncond + w (v_cond - v_uncond); w = 1 skips the unconditional branch. Both branches
   * carry gradient, as in flow_grpo's compute_log_prob: they share every weight, so an update also moves v_uncond,
   * which the guided mean weighs by (1 - w). Detaching it (as algorithms.md 6.9 suggests) leaves that term out of
   * the gradient, which is then biased: every update also moves v_uncond unaccounted for.
   */
  NDArray velocity(NDArray x, float t, Conditions c, float guidance) {
    NDManager scope = x.getManager();
    NDArray time = scope.full(new Shape(x.getShape().get(0)), t);
    NDArray cond = guidance == 0f ? null : model.forward(x, time, c.cond().get(0), c.cond().get(1));
    if (guidance == 1f) {
      return cond;
    }
    NDArray uncond = model.forward(x, time, c.uncond().get(0), c.uncond().get(1));
    if (cond == null) {
      return uncond;
    }
    return uncond.add(cond.sub(uncond).mul(scope.create(guidance)));
  }

  /** Samples G images per prompt; consecutive outputs belong to the same prompt. */
  public ImageSamples sample(SampleImagesRequest r) {
    if (r.getExpectVersion() != version) {
      // Never sample with weights other than the ones the orchestrator is about to train on.
      throw new IllegalStateException("holds policy version " + version + " but version " + r.getExpectVersion()
          + " was asked for");
    }
    long started = System.nanoTime();
    int g = Math.max(1, r.getSamplesPerPrompt());
    List<String> prompts = new ArrayList<>();
    for (String p : r.getPromptsList()) {
      for (int i = 0; i < g; i++) {
        prompts.add(p);
      }
    }
    float[] sigmas = FlowSchedule.sigmas(r.getSteps(), r.getTimeShift() > 0 ? r.getTimeShift() : 1f);
    Random random = new Random(r.getSeed());
    ImageModelConfig c = model.config();
    Shape imageShape = new Shape(prompts.size(), ImageModelConfig.CHANNELS, c.imageSize(), c.imageSize());
    return NoGrad.run(() -> {
      try (NDManager scope = manager.newSubManager()) {
        Conditions cond = conditions(scope, prompts);
        NDArray x = r.getSameInitialNoise()
            ? gaussian(scope, random, new Shape(r.getPromptsCount(), ImageModelConfig.CHANNELS, c.imageSize(),
                c.imageSize())).repeat(0, g)
            : gaussian(scope, random, imageShape);
        List<NDArray> path = new ArrayList<>();
        List<NDArray> logProbs = new ArrayList<>();
        path.add(x);
        for (int i = 0; i < r.getSteps(); i++) {
          float t = sigmas[i];
          float dt = sigmas[i + 1] - t;
          try (NDManager step = stepScope(scope, cond, x)) {
            NDArray v = velocity(x, t, cond, r.getGuidance());
            if (r.getNoiseLevel() > 0 && inWindow(r, i)) {
              float sigmaT = FlowSde.sigmaT(sigmas, i, r.getNoiseLevel());
              float std = FlowSde.transitionStd(sigmaT, dt);
              NDArray mean = FlowSde.mean(x, v, t, dt, sigmaT);
              x = FlowSde.sample(mean, std, gaussian(step, random, imageShape));
              NDArray logProb = FlowSde.logProb(x, mean, std);
              logProb.attach(scope);
              logProbs.add(logProb);
            } else {
              x = FlowSde.odeStep(x, v, dt);
              if (r.getNoiseLevel() > 0) {
                logProbs.add(scope.zeros(new Shape(prompts.size()))); // a deterministic step: never trained
              }
            }
            x.attach(scope);
          }
          path.add(x);
        }
        ImageSamples.Builder out = ImageSamples.newBuilder().setImages(TensorCodec.toProto(x))
            .setSigmas(TensorCodec.toProto(scope.create(sigmas))).setPolicyVersion(version);
        if (r.getKeepTrajectory()) {
          out.setLatents(TensorCodec.toProto(NDArrays.stack(new NDList(path), 1)));
          if (!logProbs.isEmpty()) {
            out.setLogProbs(TensorCodec.toProto(NDArrays.stack(new NDList(logProbs), 1)));
          }
        }
        return out.setSeconds((System.nanoTime() - started) / 1e9).build();
      }
    });
  }

  /** Whether step i samples from the SDE: every step, or only those of the request's SDE window. */
  static boolean inWindow(SampleImagesRequest r, int i) {
    return r.getSdeWindowSize() <= 0
        || (i >= r.getSdeWindowStart() && i < r.getSdeWindowStart() + r.getSdeWindowSize());
  }

  /** The SDE means of transitions [first_train_step, + train_steps) of given trajectories, [N, K, C, H, W]. */
  public FlowMeans means(FlowMeansRequest r) {
    Trajectories.require(r.hasLatents(), "latents");
    Trajectories.require(r.hasSigmas(), "sigmas");
    return NoGrad.run(() -> {
      try (NDManager scope = manager.newSubManager()) {
        NDArray latents = TensorCodec.fromProto(r.getLatents(), scope);
        float[] sigmas = TensorCodec.fromProto(r.getSigmas(), scope).toFloatArray();
        int first = r.getFirstTrainStep();
        Trajectories.check(latents, sigmas, r.getPromptsCount(), first, r.getTrainSteps(), model.config());
        Conditions cond = conditions(scope, r.getPromptsList());
        List<NDArray> means = new ArrayList<>();
        for (int j = first; j < first + r.getTrainSteps(); j++) {
          NDArray x = latents.get(new NDIndex(":, {}", j));
          float t = sigmas[j];
          float dt = sigmas[j + 1] - t;
          try (NDManager step = stepScope(scope, cond, x)) {
            NDArray v = velocity(x, t, cond, r.getGuidance());
            NDArray mean = FlowSde.mean(x, v, t, dt, FlowSde.sigmaT(sigmas, j, r.getNoiseLevel()));
            mean.attach(scope);
            means.add(mean);
          }
        }
        return FlowMeans.newBuilder().setMeans(TensorCodec.toProto(NDArrays.stack(new NDList(means), 1))).build();
      }
    });
  }

  /**
   * A scope for one denoising step: the inputs and the prompt ids live in it until it closes, so the step's activations
   * (which follow their inputs' manager) are freed then. Without it, 40 steps of an evaluation batch would hold
   * every intermediate of every step until the end: tens of gigabytes.
   */
  static NDManager stepScope(NDManager scope, Conditions c, NDArray... inputs) {
    NDManager step = scope.newSubManager();
    for (NDArray input : inputs) {
      input.tempAttach(step);
    }
    c.cond().tempAttach(step);
    c.uncond().tempAttach(step);
    return step;
  }

  /** Standard normal noise from a seeded Java generator, so a seed fixes samples independent of the engine. */
  static NDArray gaussian(NDManager scope, Random random, Shape shape) {
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return scope.create(values, shape);
  }
}
