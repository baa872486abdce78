package troupe.trainers.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import troupe.trainers.model.NoGrad;
import troupe.trainers.model.Safetensors;
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
  static final float BETA1 = 0.9f;
  static final float BETA2 = 0.999f;
  static final float EPS = 1e-8f;

  private OptimizerSettings settings;
  private long updates; // under the current settings
  private final Map<String, NDArray[]> moments = new HashMap<>(); // name -> {first, second}

  /**
   * Clips the global L2 norm, updates every parameter, zeroes the gradients. Returns the norm before clipping; a
   * non-finite norm updates nothing, zeroes the gradients and throws {@link NonFiniteGradient}, so the caller may
   * skip the step.
   */
  public float apply(OptimizerSettings s, Map<String, NDArray> params, long version) {
    if (!s.equals(settings)) {
      reset(s); // a new stage: fresh moments, warmup from the start
    }
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
      float scale = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6f) : 1f;
      updates++;
      float lr = LearningRate.at(s, updates);
      int i = 0;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        update(e.getKey(), e.getValue(), grads.get(i++), scale, lr, s.getWeightDecay());
      }
    } finally {
      for (NDArray g : grads) {
        zero(g);
        g.close();
      }
    }
    return norm;
  }

  /**
   * AdamW (Loshchilov and Hutter; torch.optim.AdamW): moments of the clipped gradient, bias-corrected step, and the
   * decay applied to the weight directly, outside the normalisation.
   */
  private void update(String name, NDArray weight, NDArray grad, float scale, float lr, float weightDecay) {
    NDArray[] m = moments.computeIfAbsent(name, k -> new NDArray[] {weight.zerosLike(), weight.zerosLike()});
    NoGrad.run(() -> {
      try (NDArray g = grad.mul(scale); NDArray g2 = g.square()) {
        m[0].muli(BETA1).addi(g.muli(1 - BETA1));
        m[1].muli(BETA2).addi(g2.muli(1 - BETA2));
      }
      float stepSize = (float) (lr * Math.sqrt(1 - Math.pow(BETA2, updates)) / (1 - Math.pow(BETA1, updates)));
      try (NDArray denom = m[1].sqrt().addi(EPS); NDArray step = m[0].div(denom).muli(stepSize)) {
        if (weightDecay > 0) {
          weight.muli(1 - lr * weightDecay);
        }
        weight.subi(step);
      }
      return null;
    });
  }

  /** Settings null: no step taken yet, nothing learned. */
  private void reset(OptimizerSettings s) {
    if (s != null) {
      LearningRate.check(s);
    }
    moments.values().forEach(m -> {
      m[0].close();
      m[1].close();
    });
    moments.clear();
    updates = 0;
    settings = s;
  }

  /**
   * The optimizer's whole state, for a checkpoint: the moments as tensors named {@code m/PARAM} and {@code v/PARAM}
   * (views of the live arrays; write them before the next step), the update count, and the settings.
   */
  State state() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    moments.forEach((name, m) -> {
      tensors.put("m/" + name, m[0]);
      tensors.put("v/" + name, m[1]);
    });
    return new State(settings, updates, tensors);
  }

  /** Restores a state taken by {@link #state}; the tensors are copied onto the parameters' manager and device. */
  void restore(State state, Map<String, NDArray> params) {
    reset(state.settings());
    for (Map.Entry<String, NDArray> p : params.entrySet()) {
      NDArray m = state.tensors().get("m/" + p.getKey());
      NDArray v = state.tensors().get("v/" + p.getKey());
      if ((m == null) != (v == null)) {
        throw new IllegalArgumentException("optimizer state has only one moment of " + p.getKey());
      }
      if (m != null) {
        if (!m.getShape().equals(p.getValue().getShape()) || !v.getShape().equals(p.getValue().getShape())) {
          throw new IllegalArgumentException("optimizer moments of " + p.getKey() + " have shape " + m.getShape()
              + ", the parameter " + p.getValue().getShape());
        }
        NDArray first = p.getValue().zerosLike();
        NDArray second = p.getValue().zerosLike();
        NoGrad.run(() -> {
          first.addi(m.toDevice(first.getDevice(), false));
          second.addi(v.toDevice(second.getDevice(), false));
          return null;
        });
        moments.put(p.getKey(), new NDArray[] {first, second});
      }
    }
    updates = state.updates();
  }

  /**
   * Writes {@link #state} as a safetensors file: the moments as tensors, the update count and the settings (JSON)
   * in its metadata.
   */
  public void save(Path file) throws IOException {
    State state = state();
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("updates", Long.toString(state.updates()));
    if (state.settings() != null) {
      metadata.put("settings", JsonFormat.printer().omittingInsignificantWhitespace().print(state.settings()));
    }
    Safetensors.write(file, state.tensors(), metadata);
  }

  /**
   * Restores a file from {@link #save}; a file saved before any step leaves the optimizer fresh, whatever it held.
   * The tensors are read into a scratch manager under {@code manager}.
   */
  public void load(Path file, Map<String, NDArray> params, NDManager manager) throws IOException {
    Map<String, String> metadata = Safetensors.readMetadata(file);
    if (!metadata.containsKey("settings")) {
      reset(null);
      return;
    }
    OptimizerSettings.Builder settings = OptimizerSettings.newBuilder();
    JsonFormat.parser().merge(metadata.get("settings"), settings);
    try (NDManager scratch = manager.newSubManager()) {
      restore(new State(settings.build(), Long.parseLong(metadata.get("updates")), Safetensors.read(file, scratch)),
          params);
    }
  }

  /** What {@link #state} returns and {@link #restore} takes (package-private: save and load are the API). */
  record State(OptimizerSettings settings, long updates, Map<String, NDArray> tensors) {}

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
}
