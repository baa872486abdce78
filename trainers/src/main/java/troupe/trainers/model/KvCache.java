package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of earlier tokens, per layer, each [B, heads, L, headDim], so decoding feeds only new tokens.
 * Inference only (no gradients). Owns its arrays in a private sub-manager; close() frees them.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;

    private KvCache(NDManager manager, int layers) {
        this.manager = manager;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** An empty cache for a model with the given number of layers; arrays live in a sub-manager of manager. */
    public static KvCache create(NDManager manager, int layers) {
        if (layers <= 0) {
            throw new IllegalArgumentException("layers must be > 0, got " + layers);
        }
        return new KvCache(manager.newSubManager(), layers);
    }

    /** Number of cached positions (read it before a forward pass: layers are appended one by one). */
    public int length() {
        return keys[0] == null ? 0 : Math.toIntExact(keys[0].getShape().get(2));
    }

    /** Batch size of the cached arrays, or -1 while empty. */
    public long batchSize() {
        return keys[0] == null ? -1 : keys[0].getShape().get(0);
    }

    public int layers() {
        return keys.length;
    }

    /**
     * Appends this step's keys/values [B,H,S,hd] to the layer and returns the full (cached + new) pair.
     * The cache takes ownership of what it stores; the previous arrays are freed.
     */
    NDList append(int layer, NDArray newKeys, NDArray newValues) {
        if (keys[layer] == null) {
            newKeys.attach(manager);
            newValues.attach(manager);
            keys[layer] = newKeys;
            values[layer] = newValues;
        } else {
            // concat's result belongs to its first operand's manager, i.e. this cache.
            NDArray allKeys = keys[layer].concat(newKeys, 2);
            NDArray allValues = values[layer].concat(newValues, 2);
            keys[layer].close();
            values[layer].close();
            keys[layer] = allKeys;
            values[layer] = allValues;
        }
        return new NDList(keys[layer], values[layer]);
    }

    @Override
    public void close() {
        manager.close();
    }
}
