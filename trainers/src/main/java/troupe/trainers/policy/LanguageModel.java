package troupe.trainers.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import troupe.trainers.model.CharTokenizer;
import troupe.trainers.model.LogProbs;
import troupe.trainers.model.NoGrad;
import troupe.trainers.model.Sampler;
import troupe.trainers.model.SamplingParams;
import troupe.trainers.model.TransformerConfig;
import troupe.trainers.model.TransformerLM;
import troupe.v1.ModelSpec;
import troupe.v1.TokenSequence;

/**
 * One copy of a language model with a weight version: what a policy, reference or rollout worker holds for a
 * workflow. Inference only; {@link PolicyTrainer} adds the optimizer.
 */
public class LanguageModel extends VersionedModel {
  public static final CharTokenizer TOKENIZER = CharTokenizer.INSTANCE;

  protected final TransformerLM model;

  public LanguageModel(ModelSpec spec, long seed, String device) {
    super(device);
    this.model = TransformerLM.create(manager, config(spec), seed);
  }

  public static TransformerConfig config(ModelSpec spec) {
    TransformerConfig config = new TransformerConfig(TOKENIZER.vocabSize(), spec.getLayers(), spec.getDModel(),
        spec.getHeads(), spec.getDFf(), spec.getMaxSeqLen());
    config.validate();
    return config;
  }

  @Override
  protected LinkedHashMap<String, NDArray> parameters() {
    return model.parameters();
  }

  @Override
  protected void loadParameters(Map<String, NDArray> values) {
    model.loadParameters(values);
  }

  public TransformerLM network() {
    return model;
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
}
