package troupe.trainers.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final CharTokenizer TOK = CharTokenizer.INSTANCE;
    private static final List<int[]> PROMPTS = List.of(
            withBos("12+3="), withBos("7="), withBos("abc"), withBos("hello wo"));

    private static int[] withBos(String text) {
        int[] ids = TOK.encode(text);
        int[] out = new int[ids.length + 1];
        out[0] = TOK.bos();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Logits of one unpadded sequence, computed by a full forward without cache: float[S][V]. */
    private static float[][] fullLogits(NDManager manager, TransformerLM model, int[] sequence) {
        int s = sequence.length;
        int[] positions = new int[s];
        for (int i = 0; i < s; i++) {
            positions[i] = i;
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = model.forward(scope.create(sequence, new Shape(1, s)),
                    scope.create(positions, new Shape(1, s)), scope.ones(new Shape(1, s)), null);
            float[] flat = logits.toFloatArray();
            int v = model.config().vocabSize();
            float[][] out = new float[s][v];
            for (int i = 0; i < s; i++) {
                System.arraycopy(flat, i * v, out[i], 0, v);
            }
            return out;
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void greedyIsDeterministicAndFollowsArgmaxOfFullForward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 11, 0.3f);
            SamplingParams greedy = new SamplingParams(1f, 1f, 8, true);
            List<Sampler.Generation> first = Sampler.generate(model, PROMPTS, greedy, TOK.eos(), TOK.pad(),
                    new Random(1));
            List<Sampler.Generation> second = Sampler.generate(model, PROMPTS, greedy, TOK.eos(), TOK.pad(),
                    new Random(99));
            int distinct = 0;
            for (int b = 0; b < PROMPTS.size(); b++) {
                Sampler.Generation g = first.get(b);
                assertArrayEquals(g.tokens(), second.get(b).tokens());
                assertArrayEquals(PROMPTS.get(b), g.prompt());
                assertTrue(g.tokens().length >= 1);
                int[] sequence = concat(g.prompt(), g.tokens());
                float[][] logits = fullLogits(manager, model, sequence);
                for (int k = 0; k < g.tokens().length; k++) {
                    float[] row = logits[g.prompt().length - 1 + k];
                    int argmax = 0;
                    for (int v = 1; v < row.length; v++) {
                        if (row[v] > row[argmax]) {
                            argmax = v;
                        }
                    }
                    assertEquals(argmax, g.tokens()[k], "row " + b + " step " + k);
                }
                distinct += (int) java.util.Arrays.stream(g.tokens()).distinct().count();
            }
            assertTrue(distinct > PROMPTS.size(), "greedy outputs should not all be one repeated token");
        }
    }

    @Test
    void recordedLogProbsMatchFullForwardAtTemperature() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 12, 0.3f);
            float temperature = 0.7f;
            SamplingParams params = new SamplingParams(temperature, 0.9f, 10, false);
            List<Sampler.Generation> gens = Sampler.generate(model, PROMPTS, params, TOK.eos(), TOK.pad(),
                    new Random(5));
            for (Sampler.Generation g : gens) {
                int[] sequence = concat(g.prompt(), g.tokens());
                int s = sequence.length - 1;
                int[] inputs = java.util.Arrays.copyOf(sequence, s);
                int[] targets = java.util.Arrays.copyOfRange(sequence, 1, s + 1);
                int[] positions = new int[s];
                for (int i = 0; i < s; i++) {
                    positions[i] = i;
                }
                try (NDManager scope = manager.newSubManager()) {
                    NDArray logits = model.forward(scope.create(inputs, new Shape(1, s)),
                            scope.create(positions, new Shape(1, s)), scope.ones(new Shape(1, s)), null);
                    float[] lp = LogProbs.tokenLogProbs(logits, scope.create(targets, new Shape(1, s)), temperature)
                            .toFloatArray();
                    float[] completion = java.util.Arrays.copyOfRange(lp, s - g.tokens().length, s);
                    assertArrayEquals(completion, g.logProbs(), 1e-4f);
                }
            }
        }
    }

    @Test
    void sameSeedSameSamplesAndTinyTopPIsGreedy() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 13, 0.3f);
            SamplingParams params = new SamplingParams(1.0f, 1f, 8, false);
            List<Sampler.Generation> a = Sampler.generate(model, PROMPTS, params, TOK.eos(), TOK.pad(),
                    new Random(42));
            List<Sampler.Generation> b = Sampler.generate(model, PROMPTS, params, TOK.eos(), TOK.pad(),
                    new Random(42));
            List<Sampler.Generation> c = Sampler.generate(model, PROMPTS, params, TOK.eos(), TOK.pad(),
                    new Random(43));
            boolean anyDifferent = false;
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(a.get(i).tokens(), b.get(i).tokens());
                assertArrayEquals(a.get(i).logProbs(), b.get(i).logProbs());
                anyDifferent |= !java.util.Arrays.equals(a.get(i).tokens(), c.get(i).tokens());
            }
            assertTrue(anyDifferent, "a different seed should change some sample");

            // A nucleus this small keeps only the most likely token: sampling degenerates to greedy.
            List<Sampler.Generation> nucleus = Sampler.generate(model, PROMPTS,
                    new SamplingParams(1.0f, 1e-6f, 8, false), TOK.eos(), TOK.pad(), new Random(7));
            List<Sampler.Generation> greedy = Sampler.generate(model, PROMPTS,
                    new SamplingParams(1.0f, 1f, 8, true), TOK.eos(), TOK.pad(), new Random(7));
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(greedy.get(i).tokens(), nucleus.get(i).tokens());
            }
        }
    }

    @Test
    void stopsAtEosAndNeverReturnsTokensAfterIt() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 14, 0.3f);
            // A strong EOS bias: every row must stop at once with exactly [EOS].
            setEosBias(manager, model, 50f);
            for (Sampler.Generation g : Sampler.generate(model, PROMPTS, new SamplingParams(1f, 1f, 8, false),
                    TOK.eos(), TOK.pad(), new Random(1))) {
                assertArrayEquals(new int[] {TOK.eos()}, g.tokens());
                assertTrue(g.finished());
                assertTrue(g.logProbs()[0] > -1e-3f);
            }
            // A moderate bias: rows stop at different steps; EOS, when present, is the last token.
            setEosBias(manager, model, 2.5f);
            int finished = 0;
            int unfinished = 0;
            List<int[]> many = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                many.addAll(PROMPTS);
            }
            for (Sampler.Generation g : Sampler.generate(model, many, new SamplingParams(1f, 1f, 6, false),
                    TOK.eos(), TOK.pad(), new Random(3))) {
                int[] t = g.tokens();
                for (int k = 0; k < t.length - 1; k++) {
                    assertTrue(t[k] != TOK.eos(), "token after EOS returned");
                }
                assertEquals(g.finished(), t.length > 0 && t[t.length - 1] == TOK.eos());
                assertEquals(t.length, g.logProbs().length);
                if (g.finished()) {
                    finished++;
                } else {
                    unfinished++;
                    assertEquals(6, t.length);
                }
            }
            assertTrue(finished > 0 && unfinished > 0, "finished=" + finished + " unfinished=" + unfinished);
        }
    }

    @Test
    void respectsMaxSeqLenAndDoesNotLeak() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 15, 0.3f);
            setEosBias(manager, model, -50f);
            int before = manager.getManagedArrays().size();
            int longest = PROMPTS.stream().mapToInt(p -> p.length).max().orElseThrow();
            int maxSeqLen = model.config().maxSeqLen();
            List<Sampler.Generation> gens = Sampler.generate(model, PROMPTS, new SamplingParams(1f, 1f, 1000, false),
                    TOK.eos(), TOK.pad(), new Random(2));
            for (Sampler.Generation g : gens) {
                assertEquals(maxSeqLen - longest, g.tokens().length);
                assertFalse(g.finished());
            }
            assertEquals(before, manager.getManagedArrays().size(), "generate leaked arrays");
            assertEquals(0, Sampler.generate(model, PROMPTS, new SamplingParams(1f, 1f, 0, false), TOK.eos(),
                    TOK.pad(), new Random(2)).get(0).tokens().length);
        }
    }

    @Test
    void turnsAutogradOffOnAnyThreadAndRestoresIt() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 16, 0.3f);
            boolean[] modes = new boolean[2];
            List<Sampler.Generation>[] out = new List[1];
            // PyTorch grad mode is per thread and on by default on threads other than the engine's first one.
            Thread worker = new Thread(() -> {
                modes[0] = ai.djl.pytorch.jni.JniUtils.isGradMode();
                out[0] = Sampler.generate(model, PROMPTS, new SamplingParams(1f, 1f, 4, true), TOK.eos(), TOK.pad(),
                        new Random(1));
                modes[1] = ai.djl.pytorch.jni.JniUtils.isGradMode();
            });
            worker.start();
            worker.join();
            assertEquals(PROMPTS.size(), out[0].size());
            assertEquals(modes[0], modes[1], "grad mode must be restored");
        }
    }

    private static void setEosBias(NDManager manager, TransformerLM model, float bias) {
        Map<String, NDArray> values = new LinkedHashMap<>(model.parameters());
        float[] b = new float[model.config().vocabSize()];
        b[TOK.eos()] = bias;
        values.put("lm_head.bias", manager.create(b));
        model.loadParameters(values);
    }
}
