package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.Random;

/** Pre-norm decoder layer: x + attn(norm(x)), then + mlp(norm(.)). */
final class DecoderLayer extends PositionalBlock {

    private final RmsNorm attnNorm;
    private final CausalSelfAttention attn;
    private final RmsNorm mlpNorm;
    private final Mlp mlp;

    DecoderLayer(NDManager manager, Random random, TransformerConfig config, RotaryEmbedding rotary, float std,
            float residualStd) {
        super(rotary);
        attnNorm = addChildBlock("attn_norm", new RmsNorm(manager, config.dModel()));
        attn = addChildBlock("attn", new CausalSelfAttention(manager, random, config, rotary, std, residualStd));
        mlpNorm = addChildBlock("mlp_norm", new RmsNorm(manager, config.dModel()));
        mlp = addChildBlock("mlp", new Mlp(manager, random, config.dModel(), config.dFf(), std, residualStd));
    }

    @Override
    NDArray forward(NDArray x, NDList cosSin, NDArray maskBias, KvCache cache, int layer) {
        NDArray h = x.add(attn.forward(attnNorm.forward(x), cosSin, maskBias, cache, layer));
        return h.add(mlp.forward(mlpNorm.forward(h)));
    }

    /** Parameters as prefix + "attn_norm.weight", prefix + "attn.wq", ... in a fixed order. */
    void collectParameters(String prefix, Map<String, NDArray> out) {
        ParameterFactory.collect(prefix + "attn_norm.", attnNorm, out);
        ParameterFactory.collect(prefix + "attn.", attn, out);
        ParameterFactory.collect(prefix + "mlp_norm.", mlpNorm, out);
        ParameterFactory.collect(prefix + "mlp.", mlp, out);
    }
}
