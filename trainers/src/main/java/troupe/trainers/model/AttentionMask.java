package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Additive attention bias combining causality with a padding mask over keys. */
final class AttentionMask {

    /** Large but finite: -inf would turn fully masked (padded) query rows into NaN after softmax. */
    private static final float MASKED = -1e9f;

    private AttentionMask() {
    }

    /**
     * @param keyMask float [B,K], 1 = real key, 0 = padding; K = past + queries
     * @param past number of cached keys before the first query
     * @param queries number of new tokens S
     * @return float32 [B,1,S,K]: 0 where query i may attend key j (j <= past + i and key is real), else -1e9
     */
    static NDArray bias(NDManager manager, NDArray keyMask, int past, int queries) {
        long batch = keyMask.getShape().get(0);
        int keys = past + queries;
        float[] causal = new float[queries * keys];
        for (int i = 0; i < queries; i++) {
            for (int j = 0; j <= past + i; j++) {
                causal[i * keys + j] = 1f;
            }
        }
        NDArray allowed = manager.create(causal, new Shape(1, 1, queries, keys))
                .mul(keyMask.toType(DataType.FLOAT32, false).reshape(batch, 1, 1, keys));
        // (allowed - 1) * 1e9 maps 1 -> 0 and 0 -> -1e9; NDArray scalars keep everything in this manager.
        return allowed.sub(manager.create(1f)).mul(manager.create(-MASKED));
    }
}
