package troupe.trainers.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransformerLMTest {

    /** Two LEFT-padded rows: 3 and 6 prompt tokens, then 5 more tokens each; total width 11. */
    private static final int[][] ROWS = {
        {1, 40, 41, 42, 50, 51, 52, 53, 54},
        {1, 10, 20, 30, 40, 60, 70, 71, 72, 73, 74},
    };
    private static final int WIDTH = 11;
    private static final int PROMPT_WIDTH = 6;

    @Test
    void kvCacheDecodingMatchesFullForward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 7, 0.3f);
            int batch = ROWS.length;
            int[] tokens = new int[batch * WIDTH];
            int[] positions = new int[batch * WIDTH];
            float[] mask = new float[batch * WIDTH];
            for (int b = 0; b < batch; b++) {
                int padding = WIDTH - ROWS[b].length;
                for (int j = 0; j < WIDTH; j++) {
                    boolean real = j >= padding;
                    tokens[b * WIDTH + j] = real ? ROWS[b][j - padding] : 0;
                    positions[b * WIDTH + j] = real ? j - padding : 0;
                    mask[b * WIDTH + j] = real ? 1f : 0f;
                }
            }
            NDArray allTokens = manager.create(tokens, new Shape(batch, WIDTH));
            NDArray allPositions = manager.create(positions, new Shape(batch, WIDTH));
            NDArray allMask = manager.create(mask, new Shape(batch, WIDTH));
            NDArray full = model.forward(allTokens, allPositions, allMask, null);
            assertEquals(new Shape(batch, WIDTH, SMALL_VOCAB), full.getShape());
            float[] fullValues = full.toFloatArray();
            for (float v : fullValues) {
                assertTrue(Float.isFinite(v), "padded rows must stay finite");
            }

            List<NDArray> pieces = new ArrayList<>();
            try (KvCache cache = KvCache.create(manager, TestModels.SMALL.layers())) {
                pieces.add(model.forward(allTokens.get(new NDIndex(":, :" + PROMPT_WIDTH)),
                        allPositions.get(new NDIndex(":, :" + PROMPT_WIDTH)),
                        allMask.get(new NDIndex(":, :" + PROMPT_WIDTH)), cache));
                assertEquals(PROMPT_WIDTH, cache.length());
                for (int j = PROMPT_WIDTH; j < WIDTH; j++) {
                    pieces.add(model.forward(allTokens.get(new NDIndex(":, " + j + ":" + (j + 1))),
                            allPositions.get(new NDIndex(":, " + j + ":" + (j + 1))),
                            allMask.get(new NDIndex(":, :" + (j + 1))), cache));
                    assertEquals(j + 1, cache.length());
                }
            }
            NDArray cached = NDArrays.concat(new NDList(pieces), 1);
            float maxLogit = full.abs().max().getFloat();
            assertTrue(maxLogit > 1f, "test model must produce non-trivial logits, max |logit| = " + maxLogit);
            for (int b = 0; b < batch; b++) {
                int padding = WIDTH - ROWS[b].length;
                float[] expected = full.get(b + ", " + padding + ":, :").toFloatArray();
                float[] actual = cached.get(b + ", " + padding + ":, :").toFloatArray();
                float diff = TestModels.maxAbsDiff(expected, actual);
                assertTrue(diff < 1e-5f, "row " + b + " cached vs full max diff " + diff);
            }

            // Padding must be invisible: row 0's real logits equal an unpadded forward of that row alone.
            int length = ROWS[0].length;
            int[] alonePositions = new int[length];
            for (int j = 0; j < length; j++) {
                alonePositions[j] = j;
            }
            NDArray alone = model.forward(manager.create(ROWS[0], new Shape(1, length)),
                    manager.create(alonePositions, new Shape(1, length)), manager.ones(new Shape(1, length)), null);
            float padDiff = TestModels.maxAbsDiff(alone.toFloatArray(),
                    full.get("0, " + (WIDTH - length) + ":, :").toFloatArray());
            assertTrue(padDiff < 1e-5f, "left padding changed real logits by " + padDiff);

            // Sensitivity check: shifting RoPE positions by one must change the logits visibly.
            NDArray shifted = model.forward(allTokens, allPositions.add(1), allMask, null);
            float shift = TestModels.maxAbsDiff(full.get("1, :, :").toFloatArray(),
                    shifted.get("1, :, :").toFloatArray());
            // Relative positions are unchanged by a uniform shift, so RoPE attention is invariant: ~0 expected.
            assertTrue(shift < 1e-4f, "RoPE must depend on relative positions only, diff " + shift);
            int[] perturbed = positions.clone();
            perturbed[WIDTH + 5] += 3;
            NDArray moved = model.forward(allTokens, manager.create(perturbed, new Shape(batch, WIDTH)), allMask, null);
            float moveDiff = TestModels.maxAbsDiff(full.get("1, 5:, :").toFloatArray(),
                    moved.get("1, 5:, :").toFloatArray());
            assertTrue(moveDiff > 1e-3f, "moving one token's position must change logits, diff " + moveDiff);
        }
    }

    private static final int SMALL_VOCAB = CharTokenizer.INSTANCE.vocabSize();

    @Test
    void intermediatesStayInTheTokensManager() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TransformerLM.create(manager, TestModels.SMALL, 1);
            int before = manager.getManagedArrays().size();
            try (NDManager step = manager.newSubManager()) {
                NDArray tokens = step.create(new long[] {1, 5, 6, 7}, new Shape(1, 4));
                NDArray logits = model.forward(tokens, step.create(new int[] {0, 1, 2, 3}, new Shape(1, 4)),
                        step.ones(new Shape(1, 4)), null);
                assertEquals(DataType.FLOAT32, logits.getDataType());
                assertEquals(logits.getManager(), step);
            }
            assertEquals(before, manager.getManagedArrays().size(), "forward leaked arrays into the model's manager");
        }
    }

    /** hidden() is what the LM head reads: logits = hidden W + b, and a value head can read the same states. */
    @Test
    void hiddenIsTheStateTheHeadReads() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TestModels.sharp(manager, 3, 0.3f);
            try (NDManager step = manager.newSubManager()) {
                NDArray tokens = step.create(new int[] {1, 40, 41, 42, 1, 50, 0, 0}, new Shape(2, 4));
                NDArray positions = step.create(new int[] {0, 1, 2, 3, 0, 1, 2, 3}, new Shape(2, 4));
                NDArray mask = step.create(new float[] {1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 4));
                NDArray hidden = model.hidden(tokens, positions, mask);
                assertEquals(new Shape(2, 4, TestModels.SMALL.dModel()), hidden.getShape());
                assertEquals(step, hidden.getManager());
                Map<String, NDArray> p = model.parameters();
                NDArray viaHead = hidden.matMul(p.get("lm_head.weight")).add(p.get("lm_head.bias"));
                float diff = TestModels.maxAbsDiff(model.forward(tokens, positions, mask, null).toFloatArray(),
                        viaHead.toFloatArray());
                assertTrue(diff < 1e-5f, "forward != head(hidden), max diff " + diff);
            }
        }
    }

    @Test
    void parametersHaveStableNamesAndLoadChecksThem() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM a = TransformerLM.create(manager, TestModels.SMALL, 1);
            TransformerLM b = TransformerLM.create(manager, TestModels.SMALL, 1);
            TransformerLM c = TransformerLM.create(manager, TestModels.SMALL, 2);
            LinkedHashMap<String, NDArray> params = a.parameters();
            List<String> names = new ArrayList<>(params.keySet());
            assertEquals("embed.weight", names.get(0));
            assertEquals(List.of("layers.0.attn_norm.weight", "layers.0.attn.wq", "layers.0.attn.wk",
                    "layers.0.attn.wv", "layers.0.attn.wo", "layers.0.mlp_norm.weight", "layers.0.mlp.w1",
                    "layers.0.mlp.w2"), names.subList(1, 9));
            assertEquals(List.of("final_norm.weight", "lm_head.weight", "lm_head.bias"),
                    names.subList(names.size() - 3, names.size()));
            assertEquals(1 + 8 * 2 + 3, names.size());
            long d = 32;
            long v = SMALL_VOCAB;
            long perLayer = 2 * d + 4 * d * d + 2 * d * 64;
            assertEquals(v * d + 2 * perLayer + d + d * v + v, a.parameterCount());
            for (NDArray p : params.values()) {
                assertTrue(p.hasGradient(), "parameters must require gradients");
                assertEquals(DataType.FLOAT32, p.getDataType());
            }
            // Same seed -> same weights; different seed -> different weights.
            assertEquals(0f, TestModels.maxAbsDiff(params.get("layers.1.mlp.w1").toFloatArray(),
                    b.parameters().get("layers.1.mlp.w1").toFloatArray()));
            assertTrue(TestModels.maxAbsDiff(params.get("layers.1.mlp.w1").toFloatArray(),
                    c.parameters().get("layers.1.mlp.w1").toFloatArray()) > 0f);

            NDArray wqBefore = a.parameters().get("layers.0.attn.wq");
            a.loadParameters(c.parameters());
            assertEquals(0f, TestModels.maxAbsDiff(a.parameters().get("layers.0.attn.wq").toFloatArray(),
                    c.parameters().get("layers.0.attn.wq").toFloatArray()));
            assertTrue(wqBefore == a.parameters().get("layers.0.attn.wq"), "load must copy in place");
            assertTrue(wqBefore.hasGradient(), "load must keep gradient tracking");

            Map<String, NDArray> missing = new LinkedHashMap<>(c.parameters());
            missing.remove("lm_head.bias");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.loadParameters(missing))
                    .getMessage().contains("lm_head.bias"));
            Map<String, NDArray> extra = new LinkedHashMap<>(c.parameters());
            extra.put("layers.9.attn.wq", manager.zeros(new Shape(32, 32)));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.loadParameters(extra))
                    .getMessage().contains("layers.9.attn.wq"));
            Map<String, NDArray> misshaped = new LinkedHashMap<>(c.parameters());
            misshaped.put("layers.1.mlp.w2", manager.zeros(new Shape(32, 64)));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.loadParameters(misshaped))
                    .getMessage().contains("layers.1.mlp.w2"));
        }
    }

    @Test
    void configValidationNamesTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TransformerConfig(98, 2, 30, 4, 64, 32).validate()).getMessage().contains("dModel"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TransformerConfig(98, 2, 12, 4, 64, 32).validate()).getMessage().contains("even"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TransformerConfig(98, 0, 32, 4, 64, 32).validate()).getMessage().contains("layers"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TransformerConfig(98, 2, 32, 4, 64, -1).validate()).getMessage().contains("maxSeqLen"));
        assertFalse(TestModels.SMALL.validate().headDim() % 2 != 0);
    }
}
