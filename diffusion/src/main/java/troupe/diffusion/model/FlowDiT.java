package troupe.diffusion.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import troupe.trainers.model.ParameterFactory;
import troupe.trainers.model.RmsNorm;
import troupe.trainers.model.TokenEmbedding;

/**
 * The velocity network v_theta(x_t, t, prompt) of rectified flow: a small DiT over image patches. A jointly trained
 * prompt encoder (word embeddings and bidirectional layers) gives word tokens that every block attends to and a
 * pooled vector that, with the time embedding, drives adaLN-Zero. Parameters are float32 in the manager given to
 * the constructor; activations live in the manager of the input x.
 */
public final class FlowDiT extends Module {
  private static final float STD = 0.02f;

  private final ImageModelConfig config;
  /** Fixed 2D sine-cosine positions of the patches [patches, D] (as in DiT): spatial layout from step one. */
  private final float[] patchPositions;
  private final Parameter wordPositions;
  private final Linear patchEmbed;
  private final Linear timeIn;
  private final Linear timeOut;
  private final TokenEmbedding wordEmbed;
  private final List<EncoderLayer> encoder = new ArrayList<>();
  private final RmsNorm encoderNorm;
  private final Linear promptPool;
  private final List<DiTBlock> blocks = new ArrayList<>();
  private final Linear finalModulation;
  private final Linear head;

  public FlowDiT(NDManager manager, ImageModelConfig c, long seed) {
    this.config = c;
    Random random = new Random(seed);
    int d = c.dModel();
    patchPositions = sinCos2d(c.gridSize(), d);
    wordPositions = addParameter(ParameterFactory.normal(manager, random, "word_positions", STD, c.maxWords(), d));
    patchEmbed = child("patch_embed", new Linear(manager, random, c.patchDim(), d, STD));
    timeIn = child("time_in", new Linear(manager, random, d, d, STD));
    timeOut = child("time_out", new Linear(manager, random, d, d, STD));
    wordEmbed = child("word_embed", new TokenEmbedding(manager, random, c.vocabSize(), d, STD));
    for (int i = 0; i < c.promptLayers(); i++) {
      encoder.add(child("encoder." + i, new EncoderLayer(manager, random, c, STD)));
    }
    encoderNorm = child("encoder_norm", new RmsNorm(manager, d));
    promptPool = child("prompt_pool", new Linear(manager, random, d, d, STD));
    for (int i = 0; i < c.layers(); i++) {
      blocks.add(child("blocks." + i, new DiTBlock(manager, random, c, STD)));
    }
    finalModulation = child("final_modulation", new Linear(manager, random, d, 2 * d, 0f));
    head = child("head", new Linear(manager, random, d, c.patchDim(), 0f));
  }

  public ImageModelConfig config() {
    return config;
  }

  /**
   * @param x float32 [B,3,H,W] the noisy image x_t; its manager owns every intermediate
   * @param t float32 [B] flow time in [0, 1], 1 = pure noise
   * @param words int32 [B,L] prompt word ids (PromptTokenizer)
   * @param wordMask float32 [B,L], 1 on real words
   * @return the predicted velocity, float32 [B,3,H,W]
   */
  public NDArray forward(NDArray x, NDArray t, NDArray words, NDArray wordMask) {
    Shape shape = x.getShape();
    int size = config.imageSize();
    if (!shape.equals(new Shape(shape.get(0), ImageModelConfig.CHANNELS, size, size))) {
      throw new IllegalArgumentException("expected images [B,3," + size + "," + size + "], got " + shape);
    }
    long batch = shape.get(0);
    NDManager scope = x.getManager();
    NDArray h = patchEmbed.forward(patchify(x))
        .add(scope.create(patchPositions, new Shape(config.patches(), config.dModel())));

    NDArray w = wordEmbed.forward(words).add(wordPositions.getArray());
    NDArray wordBias = Attention.bias(wordMask);
    for (EncoderLayer layer : encoder) {
      w = layer.forward(w, wordBias);
    }
    w = encoderNorm.forward(w);
    NDArray mask3 = wordMask.expandDims(2);
    NDArray pooled = w.mul(mask3).sum(new int[] {1}).div(wordMask.sum(new int[] {1}, true));

    NDArray time = timeOut.forward(silu(timeIn.forward(timeFeatures(t))));
    NDArray cond = time.add(promptPool.forward(pooled));
    NDArray keyBias = Attention.bias(wordMask.concat(scope.ones(new Shape(batch, config.patches())), 1));
    for (DiTBlock block : blocks) {
      h = block.forward(h, cond, w, keyBias);
    }
    NDList m = finalModulation.forward(silu(cond)).expandDims(1).split(2, 2);
    return unpatchify(head.forward(DiTBlock.modulate(h, m.get(0), m.get(1))));
  }

  /**
   * Row-major grid positions: the first half of each vector encodes the row, the second half the column, each as
   * sines then cosines over geometric frequencies. Odd leftover dimensions stay 0.
   */
  static float[] sinCos2d(int grid, int d) {
    int quarter = d / 4;
    float[] out = new float[grid * grid * d];
    for (int row = 0; row < grid; row++) {
      for (int col = 0; col < grid; col++) {
        int base = (row * grid + col) * d;
        for (int k = 0; k < quarter; k++) {
          double omega = Math.pow(10000, -(double) k / quarter);
          out[base + k] = (float) Math.sin(row * omega);
          out[base + quarter + k] = (float) Math.cos(row * omega);
          out[base + 2 * quarter + k] = (float) Math.sin(col * omega);
          out[base + 3 * quarter + k] = (float) Math.cos(col * omega);
        }
      }
    }
    return out;
  }

  /** Sinusoidal features of 1000 t, [B, D]: cosines then sines over geometric frequencies. */
  private NDArray timeFeatures(NDArray t) {
    int half = config.dModel() / 2;
    float[] freqs = new float[half];
    for (int i = 0; i < half; i++) {
      freqs[i] = (float) (1000.0 * Math.exp(-Math.log(10000.0) * i / half));
    }
    NDManager scope = t.getManager();
    NDArray angles = t.toType(DataType.FLOAT32, false).reshape(-1, 1).mul(scope.create(freqs).reshape(1, half));
    NDArray features = angles.cos().concat(angles.sin(), 1);
    if (config.dModel() % 2 == 1) {
      features = features.concat(scope.zeros(new Shape(t.getShape().get(0), 1)), 1);
    }
    return features;
  }

  /** [B,C,H,W] -> [B, patches, C*p*p], patches in row-major grid order. */
  NDArray patchify(NDArray x) {
    long b = x.getShape().get(0);
    int g = config.gridSize();
    int p = config.patchSize();
    return x.reshape(b, ImageModelConfig.CHANNELS, g, p, g, p).transpose(0, 2, 4, 1, 3, 5)
        .reshape(b, (long) g * g, config.patchDim());
  }

  /** Inverse of {@link #patchify}. */
  NDArray unpatchify(NDArray tokens) {
    long b = tokens.getShape().get(0);
    int g = config.gridSize();
    int p = config.patchSize();
    return tokens.reshape(b, g, g, ImageModelConfig.CHANNELS, p, p).transpose(0, 3, 1, 4, 2, 5)
        .reshape(b, ImageModelConfig.CHANNELS, config.imageSize(), config.imageSize());
  }

  /** Every trainable array by stable dotted name, in a fixed order. */
  public LinkedHashMap<String, NDArray> parameters() {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    collect("", out);
    return out;
  }

  /** Copies values into the existing parameter arrays after checking every name, shape and dtype. */
  public void loadParameters(Map<String, NDArray> values) {
    LinkedHashMap<String, NDArray> own = parameters();
    for (String name : values.keySet()) {
      if (!own.containsKey(name)) {
        throw new IllegalArgumentException("unexpected tensor '" + name + "' (not a parameter of this image model)");
      }
    }
    for (Map.Entry<String, NDArray> e : own.entrySet()) {
      NDArray value = values.get(e.getKey());
      if (value == null) {
        throw new IllegalArgumentException("missing tensor '" + e.getKey() + "'");
      }
      if (!value.getShape().equals(e.getValue().getShape()) || value.getDataType() != DataType.FLOAT32) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' is " + value.getDataType() + " "
            + value.getShape() + ", expected float32 " + e.getValue().getShape());
      }
    }
    for (Map.Entry<String, NDArray> e : own.entrySet()) {
      values.get(e.getKey()).copyTo(e.getValue());
    }
  }

  public long parameterCount() {
    long n = 0;
    for (NDArray a : parameters().values()) {
      n += a.size();
    }
    return n;
  }
}
