package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Small models for tests, with weights large enough that mistakes show up in the logits. */
final class TestModels {

    static final TransformerConfig SMALL = new TransformerConfig(CharTokenizer.INSTANCE.vocabSize(), 2, 32, 4, 64, 40);

    private TestModels() {
    }

    /**
     * A SMALL model whose matrices are redrawn from normal(0, std): the default 0.02 init gives near-uniform
     * logits, which would let a broken attention or RoPE pass a tolerance check.
     */
    static TransformerLM sharp(NDManager manager, long seed, float std) {
        TransformerLM model = TransformerLM.create(manager, SMALL, seed);
        Random random = new Random(seed + 1);
        Map<String, NDArray> values = new LinkedHashMap<>();
        try (NDManager scratch = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> entry : model.parameters().entrySet()) {
                NDArray current = entry.getValue();
                float[] data = new float[Math.toIntExact(current.size())];
                boolean gain = entry.getKey().endsWith("norm.weight");
                for (int i = 0; i < data.length; i++) {
                    data[i] = gain ? 1f + 0.1f * (float) random.nextGaussian() : std * (float) random.nextGaussian();
                }
                values.put(entry.getKey(), scratch.create(data, current.getShape()));
            }
            model.loadParameters(values);
        }
        return model;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths " + a.length + " != " + b.length);
        }
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
