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
     * @param keyMask float [B,K]: 0 = padding, otherwise the segment id of the key (1 for an ordinary sequence;
     *                1, 2, 3... for examples packed into one row); K = past + queries
     * @param past number of cached keys before the first query
     * @param queries number of new tokens S; the queries are the last S keys
     * @return float32 [B,1,S,K]: 0 where query i may attend key j (j <= past + i, the key is real and in the
     *         query's segment, so packed examples never see each other), else -1e9
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
        NDArray segments = keyMask.toType(DataType.FLOAT32, false);
        NDArray keySegments = segments.reshape(batch, 1, 1, keys);
        NDArray querySegments = segments.get(":, " + past + ":").reshape(batch, 1, queries, 1);
        NDArray allowed = manager.create(causal, new Shape(1, 1, queries, keys))
                .mul(keySegments.eq(querySegments).toType(DataType.FLOAT32, false))
                .mul(keySegments.gt(manager.create(0f)).toType(DataType.FLOAT32, false));
        // (allowed - 1) * 1e9 maps 1 -> 0 and 0 -> -1e9; NDArray scalars keep everything in this manager.
        return allowed.sub(manager.create(1f)).mul(manager.create(-MASKED));
    }
}
