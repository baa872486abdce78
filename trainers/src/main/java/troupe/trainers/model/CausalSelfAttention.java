package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.Random;

/** Multi-head causal self-attention with RoPE on queries/keys and an optional KV cache. No biases. */
final class CausalSelfAttention extends PositionalBlock {

    private final int heads;
    private final int headDim;
    private final Parameter wq;
    private final Parameter wk;
    private final Parameter wv;
    private final Parameter wo;

    /** residualStd is the (smaller) std of Wo, which writes into the residual stream. */
    CausalSelfAttention(NDManager manager, Random random, TransformerConfig config, RotaryEmbedding rotary,
            float std, float residualStd) {
        super(rotary);
        int d = config.dModel();
        this.heads = config.heads();
        this.headDim = config.headDim();
        wq = addParameter(ParameterFactory.normal(manager, random, "wq", std, d, d));
        wk = addParameter(ParameterFactory.normal(manager, random, "wk", std, d, d));
        wv = addParameter(ParameterFactory.normal(manager, random, "wv", std, d, d));
        wo = addParameter(ParameterFactory.normal(manager, random, "wo", residualStd, d, d));
    }

    /**
     * @param x [B,S,D] normalized input
     * @param cosSin RoPE angles for the S new positions (from RotaryEmbedding.cosSin)
     * @param maskBias [B,1,S,K] additive bias from AttentionMask
     * @param cache null for a full pass; otherwise this layer's keys/values are appended and attended to
     * @param layer index of this layer in the cache
     */
    @Override
    NDArray forward(NDArray x, NDList cosSin, NDArray maskBias, KvCache cache, int layer) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        NDArray q = rotary.rotate(splitHeads(x.matMul(wq.getArray()), batch, seq), cosSin);
        NDArray k = rotary.rotate(splitHeads(x.matMul(wk.getArray()), batch, seq), cosSin);
        NDArray v = splitHeads(x.matMul(wv.getArray()), batch, seq);
        if (cache != null) {
            NDList all = cache.append(layer, k, v);
            k = all.get(0);
            v = all.get(1);
        }
        NDArray scale = x.getManager().create((float) (1.0 / Math.sqrt(headDim)));
        NDArray keysTransposed = k.transpose(0, 1, 3, 2);
        // With a cache, k belongs to the cache's manager; keep this view in the step's scope so it dies with it.
        keysTransposed.attach(x.getManager());
        // [B,H,S,hd] x [B,H,hd,K] -> [B,H,S,K]
        NDArray scores = q.matMul(keysTransposed).mul(scale).add(maskBias);
        NDArray context = scores.softmax(-1).matMul(v);
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, seq, (long) heads * headDim);
        return merged.matMul(wo.getArray());
    }

    /** [B,S,D] -> [B,H,S,hd]. */
    private NDArray splitHeads(NDArray projected, long batch, long seq) {
        return projected.reshape(batch, seq, heads, headDim).transpose(0, 2, 1, 3);
    }
}
