package troupe.trainers.model;

/**
 * How Sampler picks tokens.
 *
 * @param temperature logits are divided by it before softmax (ignored when greedy); must be > 0 otherwise
 * @param topP nucleus filtering on the temperature-scaled distribution, in (0, 1]; 1 disables it
 * @param maxNewTokens upper bound on generated tokens per prompt (EOS included), >= 0
 * @param greedy take the argmax; log-probs are then reported at temperature 1
 */
public record SamplingParams(float temperature, float topP, int maxNewTokens, boolean greedy) {

    public SamplingParams {
        if (!greedy && !(temperature > 0f && Float.isFinite(temperature))) {
            throw new IllegalArgumentException("temperature must be > 0 and finite, got " + temperature);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
    }
}
