package troupe.trainers.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import troupe.v1.OptimizerSettings;

/**
 * AdamW with linear warmup and global gradient-norm clipping, applied to gradients already accumulated on the
 * parameters. Shared by every trainable model (language policy, image policy).
 *
 * <p>Decoupled weight decay (AdamW, as torch.optim.AdamW in the reference trainers), not Adam's L2 term: Adam
 * normalizes the decay together with the gradient, and where gradients are tiny (Flow-GRPO's element-mean log-probs)
 * the normalized decay outweighs them and shrinks every weight by about the learning rate per step, whatever the
 * advantages say.
 */
public final class OptimizerStep {
  private Optimizer optimizer;
  private OptimizerSettings settings;

  /**
   * Clips the global L2 norm (DJL only clips element-wise), updates every parameter, zeroes the gradients.
   * Returns the norm before clipping; a non-finite norm updates nothing, zeroes the gradients and throws
   * {@link NonFiniteGradient}, so the caller may skip the step.
   */
  public float apply(OptimizerSettings s, Map<String, NDArray> params, long version) {
    Optimizer opt = optimizer(s);
    List<NDArray> grads = new ArrayList<>(params.size());
    double squares = 0;
    for (NDArray p : params.values()) {
      NDArray g = p.getGradient();
      grads.add(g);
      try (NDArray n = g.norm()) {
        float v = n.getFloat();
        squares += (double) v * v;
      }
    }
    float norm = (float) Math.sqrt(squares);
    try {
      if (!Float.isFinite(norm)) {
        throw new NonFiniteGradient("non-finite gradient norm " + norm + " at policy version " + version);
      }
      float maxNorm = s.getMaxGradNorm();
      if (maxNorm > 0 && norm > maxNorm) {
        float scale = maxNorm / (norm + 1e-6f);
        for (NDArray g : grads) {
          g.muli(scale);
        }
      }
      int i = 0;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        opt.update(e.getKey(), e.getValue(), grads.get(i++));
      }
    } finally {
      for (NDArray g : grads) {
        zero(g);
        g.close();
      }
    }
    return norm;
  }

  /** Zeroes gradients in place; g - g would keep a NaN or an infinity. */
  static void zero(NDArray gradient) {
    gradient.set(ALL, 0f);
  }

  private static final NDIndex ALL = new NDIndex(":");

  /** A step whose gradient norm is not finite; nothing was updated and the gradients are zero again. */
  public static final class NonFiniteGradient extends IllegalStateException {
    public NonFiniteGradient(String message) {
      super(message);
    }
  }

  /**
   * AdamW, rebuilt (fresh moments, warmup from step 0) when the settings change, e.g. at a new stage; the learning
   * rate is constant or cosine-decayed after the warmup.
   */
  private Optimizer optimizer(OptimizerSettings s) {
    if (optimizer == null || !s.equals(settings)) {
      Tracker lr = Tracker.fixed(s.getLearningRate());
      if (s.getSchedule().equals("cosine")) {
        // DJL's warmup hands the main tracker the update count minus the warmup steps
        lr = CosineTracker.builder().setBaseValue(s.getLearningRate()).optFinalValue(s.getFinalLearningRate())
            .setMaxUpdates(Math.max(1, s.getTotalSteps() - s.getWarmupSteps())).build();
      } else if (!s.getSchedule().isEmpty() && !s.getSchedule().equals("constant")) {
        throw new IllegalArgumentException("unknown learning-rate schedule \"" + s.getSchedule()
            + "\"; allowed: constant, cosine");
      }
      if (s.getWarmupSteps() > 0) {
        lr = WarmUpTracker.builder().setMainTracker(lr).optWarmUpSteps(s.getWarmupSteps())
            .optWarmUpBeginValue(0f).build();
      }
      optimizer = Optimizer.adamW().optLearningRateTracker(lr).optWeightDecays(s.getWeightDecay()).build();
      settings = s;
    }
    return optimizer;
  }
}
