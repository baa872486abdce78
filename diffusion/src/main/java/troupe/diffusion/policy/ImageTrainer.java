package troupe.diffusion.policy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import troupe.diffusion.flow.FlowGrpoLoss;
import troupe.diffusion.flow.FlowKl;
import troupe.diffusion.flow.FlowSde;
import troupe.diffusion.model.ImageModelConfig;
import troupe.trainers.model.RandomBytes;
import troupe.trainers.model.TensorCodec;
import troupe.trainers.policy.AutogradLane;
import troupe.trainers.policy.FullCheckpoint;
import troupe.trainers.policy.OptimizerStep;
import troupe.v1.FlowGrpoBatch;
import troupe.v1.FlowPretrainBatch;
import troupe.v1.ImageModelSpec;
import troupe.v1.OptimizerSettings;
import troupe.v1.TrainStepResponse;

/** The trainable image policy: rectified-flow pretraining and Flow-GRPO steps, AdamW with global-norm clipping. */
public final class ImageTrainer extends ImageModel implements FullCheckpoint {
  /** Where a full checkpoint keeps {@link #random}: in the model file's metadata, base64. */
  private static final String RANDOM = "random";

  private final OptimizerStep optimizer = new OptimizerStep();
  /** Draws pretraining times and noise, so the workflow seed fixes the whole run. */
  private Random random;

  public ImageTrainer(ImageModelSpec spec, List<String> vocabulary, long seed, String device) {
    super(spec, vocabulary, seed, device);
    this.random = new Random(seed * 7_919 + 17);
  }

  /** model.safetensors (weights, version and the pretraining random stream) and optimizer.safetensors. */
  @Override
  public void saveFull(Path folder) throws IOException {
    Files.createDirectories(folder);
    String stream = Base64.getEncoder().encodeToString(RandomBytes.save(random));
    saveCheckpoint(folder.resolve(MODEL), Map.of(RANDOM, stream));
    optimizer.save(folder.resolve(OPTIMIZER));
  }

  @Override
  public void loadFull(Path folder) throws IOException {
    String saved = loadVersioned(folder.resolve(MODEL)).get(RANDOM);
    if (saved == null) {
      throw new IOException(MODEL + " has no \"" + RANDOM + "\" metadata: not a full checkpoint of an image policy");
    }
    random = RandomBytes.load(Base64.getDecoder().decode(saved));
    optimizer.load(folder.resolve(OPTIMIZER), parameters(), manager);
  }

  /**
   * Rectified flow (algorithms.md 6.1): x_t = (1 - t) x_0 + t eps, regress v_theta(x_t, t, c) on eps - x_0, with t
   * drawn logit-normal (SD3) so that the middle of the path, where the prompt decides the layout, gets most steps.
   */
  public TrainStepResponse pretrainStep(FlowPretrainBatch batch, OptimizerSettings settings) {
    long started = System.nanoTime();
    int n = batch.getPromptsCount();
    float[] times = new float[n];
    for (int i = 0; i < n; i++) {
      times[i] = (float) (1 / (1 + Math.exp(-random.nextGaussian())));
    }
    double loss;
    AutogradLane.LOCK.lock();
    try (NDManager scope = manager.newSubManager()) {
      NDArray clean = TensorCodec.fromProto(batch.getImages(), scope);
      ImageModelConfig c = model.config();
      Shape expected = new Shape(n, ImageModelConfig.CHANNELS, c.imageSize(), c.imageSize());
      if (!clean.getShape().equals(expected)) {
        throw new IllegalArgumentException("images have shape " + clean.getShape() + ", expected " + expected
            + " for " + n + " prompts");
      }
      NDArray eps = gaussian(scope, random, expected);
      NDArray t = scope.create(times);
      NDArray t4 = t.reshape(n, 1, 1, 1);
      NDArray noisy = clean.mul(scope.create(1f).sub(t4)).add(eps.mul(t4));
      NDArray target = eps.sub(clean);
      NDList words = tokenizer.batch(scope, batch.getPromptsList());
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray v = model.forward(noisy, t, words.get(0), words.get(1));
        NDArray l = v.sub(target).square().mean();
        loss = l.getFloat();
        if (!Double.isFinite(loss)) {
          throw new IllegalStateException("non-finite flow-matching loss at policy version " + version);
        }
        collector.backward(l);
      }
      float norm = optimizer.apply(settings, model.parameters(), version);
      version++;
      return TrainStepResponse.newBuilder().setPolicyVersion(version).setLoss(loss).setGradNorm(norm).setTokens(n)
          .setSeconds((System.nanoTime() - started) / 1e9).build();
    } finally {
      AutogradLane.LOCK.unlock();
    }
  }

  /**
   * Flow-GRPO (algorithms.md 6.4): the batch is split into `updates` minibatches, one optimizer step each. Within
   * one, every trained transition j re-scores the stored (x_j, x_{j+1}) with the current network (no new noise),
   * and the clipped surrogate plus beta * KL is averaged over transitions and samples.
   */
  public TrainStepResponse grpoStep(FlowGrpoBatch b, OptimizerSettings settings) {
    long started = System.nanoTime();
    int n = b.getPromptsCount();
    int k = b.getTrainSteps();
    int updates = Math.max(1, Math.min(b.getUpdates(), n));
    if (b.getAdvantagesCount() != n) {
      throw new IllegalArgumentException(b.getAdvantagesCount() + " advantages for " + n + " trajectories");
    }
    boolean withKl = b.getKlBeta() > 0;
    double loss = 0;
    double kl = 0;
    double clipped = 0;
    double gradNorm = 0;
    Trajectories.require(b.hasLatents(), "latents");
    Trajectories.require(b.hasLogProbs(), "log_probs");
    Trajectories.require(b.hasSigmas(), "sigmas");
    AutogradLane.LOCK.lock();
    try (NDManager scope = manager.newSubManager()) {
      NDArray latents = TensorCodec.fromProto(b.getLatents(), scope);
      float[] sigmas = TensorCodec.fromProto(b.getSigmas(), scope).toFloatArray();
      int first = b.getFirstTrainStep();
      Trajectories.check(latents, sigmas, n, first, k, model.config());
      NDArray oldLogProbs = TensorCodec.fromProto(b.getLogProbs(), scope);
      if (!oldLogProbs.getShape().equals(new Shape(n, sigmas.length - 1))) {
        throw new IllegalArgumentException("log_probs have shape " + oldLogProbs.getShape() + ", expected [" + n
            + ", " + (sigmas.length - 1) + "]");
      }
      NDArray refMeans = withKl ? TensorCodec.fromProto(b.getRefMeans(), scope) : null;
      if (withKl && (refMeans.getShape().get(0) != n || refMeans.getShape().get(1) != k)) {
        throw new IllegalArgumentException("ref_means have shape " + refMeans.getShape() + ", expected [" + n
            + ", " + k + ", C, H, W]");
      }
      float[] advantages = new float[n];
      for (int i = 0; i < n; i++) {
        advantages[i] = b.getAdvantages(i);
      }
      for (int u = 0; u < updates; u++) {
        int from = u * n / updates;
        int to = (u + 1) * n / updates;
        try (NDManager mini = scope.newSubManager()) {
          Conditions cond = conditions(mini, b.getPromptsList().subList(from, to));
          NDArray adv = mini.create(java.util.Arrays.copyOfRange(advantages, from, to));
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            for (int j = first; j < first + k; j++) {
              // One scope per denoising step: its activations are freed once its gradient is accumulated.
              try (NDManager step = stepScope(mini, cond, adv)) {
                NDArray x = latents.get(step, new NDIndex("{}:{}, {}", from, to, j));
                NDArray next = latents.get(step, new NDIndex("{}:{}, {}", from, to, j + 1));
                float t = sigmas[j];
                float dt = sigmas[j + 1] - t;
                float sigmaT = FlowSde.sigmaT(sigmas, j, b.getNoiseLevel());
                NDArray v = velocity(x, t, cond, b.getGuidance());
                NDArray mean = FlowSde.mean(x, v, t, dt, sigmaT);
                NDArray lp = FlowSde.logProb(next, mean, FlowSde.transitionStd(sigmaT, dt));
                NDArray old = oldLogProbs.get(step, new NDIndex("{}:{}, {}", from, to, j));
                NDArray stepKl = withKl
                    ? FlowKl.kl(mean, refMeans.get(step, new NDIndex("{}:{}, {}", from, to, j - first)), sigmaT) : null;
                FlowGrpoLoss.Result r = FlowGrpoLoss.compute(lp, old, adv, stepKl, b.getClipRange(), b.getKlBeta());
                NDArray stepLoss = r.loss().div(step.create((float) k));
                float value = stepLoss.getFloat();
                if (!Float.isFinite(value)) {
                  throw new IllegalStateException("non-finite Flow-GRPO loss at policy version " + version);
                }
                collector.backward(stepLoss);
                double share = 1.0 / ((double) k * updates);
                loss += value / updates;
                kl += r.kl() * share;
                clipped += r.clipFraction() * share;
              }
            }
          }
          gradNorm += optimizer.apply(settings, model.parameters(), version) / updates;
        }
      }
    } finally {
      AutogradLane.LOCK.unlock();
    }
    version++;
    return TrainStepResponse.newBuilder().setPolicyVersion(version).setLoss(loss).setKl(kl).setClipFraction(clipped)
        .setGradNorm(gradNorm).setTokens((long) n * k).setSeconds((System.nanoTime() - started) / 1e9).build();
  }
}
