package troupe.trainers.policy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import troupe.trainers.model.CharTokenizer;
import troupe.trainers.model.LogProbs;
import troupe.trainers.model.NoGrad;
import troupe.trainers.model.Safetensors;
import troupe.trainers.model.Sampler;
import troupe.trainers.model.SamplingParams;
import troupe.trainers.model.TensorCodec;
import troupe.trainers.model.TransformerConfig;
import troupe.trainers.model.TransformerLM;
import troupe.v1.ModelSpec;
import troupe.v1.TokenSequence;
import troupe.v1.Weights;

/**
 * One copy of a language model with a weight version: what a policy, reference or rollout worker holds for a
 * workflow. Inference only; {@link PolicyTrainer} adds the optimizer.
 */
public class LanguageModel implements AutoCloseable {
  public static final CharTokenizer TOKENIZER = CharTokenizer.INSTANCE;

  protected final NDManager manager;
  protected final TransformerLM model;
  protected long version;

  public LanguageModel(ModelSpec spec, long seed, String device) {
    this.manager = NDManager.newBaseManager(device(device));
    this.model = TransformerLM.create(manager, config(spec), seed);
  }

  public static TransformerConfig config(ModelSpec spec) {
    TransformerConfig config = new TransformerConfig(TOKENIZER.vocabSize(), spec.getLayers(), spec.getDModel(),
        spec.getHeads(), spec.getDFf(), spec.getMaxSeqLen());
    config.validate();
    return config;
  }

  /** "cpu" or "gpu"; a gpu that is not there fails here with a clear message instead of running slowly on cpu. */
  static Device device(String name) {
    if (name.equals("gpu")) {
      if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) {
        throw new IllegalStateException("runtime.device is gpu but no GPU is visible to PyTorch on this node");
      }
      return Device.gpu();
    }
    return Device.cpu();
  }

  public long version() {
    return version;
  }

  public TransformerLM network() {
    return model;
  }

  public Weights exportWeights() {
    return Weights.newBuilder().setVersion(version).addAllTensors(TensorCodec.toProto(model.parameters())).build();
  }

  public void loadWeights(Weights weights) {
    try (NDManager scratch = manager.newSubManager()) {
      model.loadParameters(TensorCodec.fromProto(weights.getTensorsList(), scratch));
    }
    version = weights.getVersion();
  }

  private void loadParameters(Map<String, NDArray> values, long newVersion) {
    model.loadParameters(values);
    version = newVersion;
  }

  /** Writes the weights as a safetensors file (atomically), with the weight version in its metadata. */
  public void saveCheckpoint(Path file, Map<String, String> metadata) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Map<String, String> all = new java.util.LinkedHashMap<>(metadata);
    all.put("policy_version", Long.toString(version));
    Safetensors.write(file, model.parameters(), all);
  }

  /** Loads weights from a safetensors file written by {@link #saveCheckpoint}; the version restarts at 0. */
  public void loadCheckpoint(Path file) throws IOException {
    try (NDManager scratch = manager.newSubManager()) {
      loadParameters(Safetensors.read(file, scratch), 0);
    }
  }

  /** Samples completions; consecutive {@code samplesPerPrompt} outputs belong to the same prompt. */
  public List<Sampler.Generation> generate(List<int[]> prompts, int samplesPerPrompt, SamplingParams params,
      long seed) {
    List<int[]> expanded = new ArrayList<>(prompts.size() * samplesPerPrompt);
    for (int[] prompt : prompts) {
      int[] withBos = new int[prompt.length + 1];
      withBos[0] = TOKENIZER.bos();
      System.arraycopy(prompt, 0, withBos, 1, prompt.length);
      for (int g = 0; g < samplesPerPrompt; g++) {
        expanded.add(withBos);
      }
    }
    return Sampler.generate(model, expanded, params, TOKENIZER.eos(), TOKENIZER.pad(), new Random(seed));
  }

  /** Per-completion-token log-probs at a temperature, without gradients, in chunks of {@code microBatch} rows. */
  public List<float[]> logProbs(List<TokenSequence> rows, float temperature, int microBatch) {
    return NoGrad.run(() -> logProbsWithGradMode(rows, temperature, microBatch));
  }

  private List<float[]> logProbsWithGradMode(List<TokenSequence> rows, float temperature, int microBatch) {
    List<float[]> out = new ArrayList<>(rows.size());
    int step = microBatch > 0 ? microBatch : rows.size();
    for (int from = 0; from < rows.size(); from += step) {
      List<TokenSequence> chunk = rows.subList(from, Math.min(rows.size(), from + step));
      try (NDManager scope = manager.newSubManager()) {
        TokenBatch batch = TokenBatch.of(scope, chunk, TOKENIZER.bos(), TOKENIZER.pad());
        NDArray logits = model.forward(batch.inputs, batch.positions, batch.keyMask, null);
        out.addAll(batch.fromGrid(LogProbs.tokenLogProbs(logits, batch.targets, temperature)));
      }
    }
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }
}
