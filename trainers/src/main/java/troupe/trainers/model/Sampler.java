package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Batched autoregressive generation with a KV cache: prompts are left-padded into one batch, prefilled once,
 * then every row advances one token per step. Token choice happens in Java with the caller's Random, so a seed
 * reproduces a run exactly.
 */
public final class Sampler {

    /**
     * One completion.
     *
     * @param prompt the prompt as given
     * @param tokens generated tokens, ending with EOS when one was emitted (nothing after it)
     * @param logProbs logProbs[k] = log p(tokens[k]) under softmax(logits / temperature) (temperature 1 if greedy),
     *     before top-p filtering
     * @param finished true when EOS was emitted
     */
    public record Generation(int[] prompt, int[] tokens, float[] logProbs, boolean finished) {
    }

    private Sampler() {
    }

    /**
     * Generates up to params.maxNewTokens() tokens per prompt, never letting prompt batch length + generated
     * tokens exceed the model's maxSeqLen. Runs without autograd; all arrays live in a scope closed on return.
     *
     * @param prompts non-empty token arrays (usually starting with BOS), of any lengths
     */
    public static List<Generation> generate(TransformerLM model, List<int[]> prompts, SamplingParams params,
            int eosId, int padId, Random random) {
        int vocab = model.config().vocabSize();
        requireToken("eosId", eosId, vocab);
        requireToken("padId", padId, vocab);
        int batch = prompts.size();
        int promptWidth = 0;
        for (int b = 0; b < batch; b++) {
            int[] prompt = prompts.get(b);
            if (prompt.length == 0) {
                throw new IllegalArgumentException("prompt " + b + " is empty (it needs at least one token, e.g. BOS)");
            }
            for (int token : prompt) {
                requireToken("prompt " + b + " token", token, vocab);
            }
            promptWidth = Math.max(promptWidth, prompt.length);
        }
        int maxSeqLen = model.config().maxSeqLen();
        if (promptWidth > maxSeqLen) {
            throw new IllegalArgumentException("longest prompt (" + promptWidth + ") exceeds maxSeqLen " + maxSeqLen);
        }
        int budget = Math.min(params.maxNewTokens(), maxSeqLen - promptWidth);

        int[][] generated = new int[batch][budget];
        float[][] logProbs = new float[batch][budget];
        int[] counts = new int[batch];
        boolean[] finished = new boolean[batch];
        if (batch > 0 && budget > 0) {
            int width = promptWidth;
            NoGrad.run(() -> {
                decode(model, prompts, params, eosId, padId, random, width, budget, generated, logProbs, counts,
                        finished);
                return null;
            });
        }
        List<Generation> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            out.add(new Generation(prompts.get(b), Arrays.copyOf(generated[b], counts[b]),
                    Arrays.copyOf(logProbs[b], counts[b]), finished[b]));
        }
        return out;
    }

    /** Prefill + decode loop; fills generated/logProbs/counts/finished in place. */
    private static void decode(TransformerLM model, List<int[]> prompts, SamplingParams params, int eosId, int padId,
            Random random, int promptWidth, int budget, int[][] generated, float[][] logProbs, int[] counts,
            boolean[] finished) {
        int batch = prompts.size();
        int vocab = model.config().vocabSize();
        float temperature = params.greedy() ? 1f : params.temperature();
        int totalWidth = promptWidth + budget;
        // keyMask[b][j] = 1 for real tokens; grows by one column per decode step.
        float[][] keyMask = new float[batch][totalWidth];
        int[] promptTokens = new int[batch * promptWidth];
        int[] promptPositions = new int[batch * promptWidth];
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            int[] prompt = prompts.get(b);
            int padding = promptWidth - prompt.length;
            lengths[b] = prompt.length;
            for (int j = 0; j < promptWidth; j++) {
                boolean real = j >= padding;
                promptTokens[b * promptWidth + j] = real ? prompt[j - padding] : padId;
                promptPositions[b * promptWidth + j] = real ? j - padding : 0;
                keyMask[b][j] = real ? 1f : 0f;
            }
        }
        try (NDManager scope = model.parameterManager().newSubManager();
                KvCache cache = KvCache.create(scope, model.config().layers())) {
            float[] lastLogProbs = step(model, cache, scope, promptTokens, promptPositions, keyMask, promptWidth,
                    promptWidth, temperature);
            int step = 0;
            while (true) {
                for (int b = 0; b < batch; b++) {
                    if (finished[b]) {
                        continue;
                    }
                    int token = choose(lastLogProbs, b * vocab, vocab, params, random);
                    generated[b][counts[b]] = token;
                    logProbs[b][counts[b]] = lastLogProbs[b * vocab + token];
                    counts[b]++;
                    finished[b] = token == eosId;
                }
                step++;
                if (step == budget || allTrue(finished)) {
                    return;
                }
                // Feed the token chosen at this step; rows already done feed PAD (masked, output ignored).
                int[] nextTokens = new int[batch];
                int[] nextPositions = new int[batch];
                int column = promptWidth + step - 1;
                for (int b = 0; b < batch; b++) {
                    nextTokens[b] = finished[b] ? padId : generated[b][counts[b] - 1];
                    nextPositions[b] = lengths[b] + step - 1;
                    keyMask[b][column] = finished[b] ? 0f : 1f;
                }
                lastLogProbs = step(model, cache, scope, nextTokens, nextPositions, keyMask, 1, column + 1,
                        temperature);
            }
        }
    }

    /**
     * Runs the model on new tokens [B,S] with the cache and returns log_softmax(logits / temperature) of the last
     * position as a flat float[B * V]. Per-step arrays are freed before returning.
     */
    private static float[] step(TransformerLM model, KvCache cache, NDManager parent, int[] tokens, int[] positions,
            float[][] keyMask, int width, int keyWidth, float temperature) {
        int batch = keyMask.length;
        float[] mask = new float[batch * keyWidth];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(keyMask[b], 0, mask, b * keyWidth, keyWidth);
        }
        try (NDManager scope = parent.newSubManager()) {
            NDArray logits = model.forward(scope.create(tokens, new Shape(batch, width)),
                    scope.create(positions, new Shape(batch, width)), scope.create(mask, new Shape(batch, keyWidth)),
                    cache);
            NDArray last = logits.get(new NDIndex(":, -1, :"));
            NDArray scaled = last.div(scope.create(temperature));
            return scaled.logSoftmax(-1).toFloatArray();
        }
    }

    /** Picks one token from row log-probs lp[offset .. offset+vocab). */
    private static int choose(float[] lp, int offset, int vocab, SamplingParams params, Random random) {
        if (params.greedy()) {
            int best = 0;
            for (int v = 1; v < vocab; v++) {
                if (lp[offset + v] > lp[offset + best]) {
                    best = v;
                }
            }
            return best;
        }
        Integer[] order = new Integer[vocab];
        double[] probs = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            order[v] = v;
            probs[v] = Math.exp(lp[offset + v]);
        }
        int kept = vocab;
        if (params.topP() < 1f) {
            // Nucleus: the most probable tokens whose mass first reaches topP (at least one token).
            Arrays.sort(order, Comparator.comparingDouble((Integer v) -> -probs[v]));
            double mass = 0;
            kept = 0;
            while (kept < vocab && mass < params.topP()) {
                mass += probs[order[kept]];
                kept++;
            }
        }
        double total = 0;
        for (int i = 0; i < kept; i++) {
            total += probs[order[i]];
        }
        // Inverse CDF over the kept tokens, renormalised by their mass.
        double u = random.nextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += probs[order[i]];
            if (u < cumulative) {
                return order[i];
            }
        }
        return order[kept - 1];
    }

    private static boolean allTrue(boolean[] flags) {
        for (boolean flag : flags) {
            if (!flag) {
                return false;
            }
        }
        return true;
    }

    private static void requireToken(String what, int id, int vocab) {
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException(what + " " + id + " is outside the vocabulary [0, " + vocab + ")");
        }
    }
}
