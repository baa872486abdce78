package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Decoder-only transformer: token embedding, pre-norm layers (RMSNorm, causal RoPE attention, RMSNorm, SiLU MLP),
 * final RMSNorm and an untied output projection with bias. Parameters are float32, live in the manager given to
 * create(), and require gradients; activations live in the manager of the tokens passed to forward().
 */
public final class TransformerLM extends AbstractBlock {

    /** GPT-2 style init: normal(0, 0.02); projections into the residual stream scaled by 1/sqrt(2 * layers). */
    private static final float INIT_STD = 0.02f;

    private final NDManager manager;
    private final TransformerConfig config;
    private final TokenEmbedding embedding;
    private final RotaryEmbedding rotary;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm finalNorm;
    private final LmHead head;

    private TransformerLM(NDManager manager, TransformerConfig config, long seed) {
        this.manager = manager;
        this.config = config;
        Random random = new Random(seed);
        float residualStd = (float) (INIT_STD / Math.sqrt(2.0 * config.layers()));
        rotary = new RotaryEmbedding(config.headDim());
        embedding = addChildBlock("embed",
                new TokenEmbedding(manager, random, config.vocabSize(), config.dModel(), INIT_STD));
        for (int i = 0; i < config.layers(); i++) {
            layers.add(addChildBlock("layers." + i,
                    new DecoderLayer(manager, random, config, rotary, INIT_STD, residualStd)));
        }
        finalNorm = addChildBlock("final_norm", new RmsNorm(manager, config.dModel()));
        head = addChildBlock("lm_head", new LmHead(manager, random, config.dModel(), config.vocabSize(), INIT_STD));
    }

    /** Builds a model whose parameters are fully determined by config and seed; they belong to manager. */
    public static TransformerLM create(NDManager manager, TransformerConfig config, long seed) {
        config.validate();
        return new TransformerLM(manager, config, seed);
    }

    public TransformerConfig config() {
        return config;
    }

    /** The manager that owns the parameters (Sampler opens its scratch scope under it). */
    NDManager parameterManager() {
        return manager;
    }

    /**
     * @param tokens int32/int64 [B,S]; its manager owns every intermediate and the result
     * @param positions int [B,S], RoPE position of each token (rows are left-padded, so they differ per row)
     * @param keyMask float32 [B,K], 0 = padding, else the key's segment (1; or 1, 2, ... for packed examples, which
     *     attend only within their segment); K = cache.length() + S, or S without cache
     * @param cache null for a full (training) pass, else a cache that receives this call's keys/values
     * @return logits float32 [B,S,V]; padded query rows are finite but meaningless
     */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        return head.forward(trunk(tokens, positions, keyMask, cache));
    }

    /**
     * Full pass without cache up to the final RMSNorm: the hidden state the LM head reads. A value head reads the
     * same states (the state at column j predicts token j+1, so it is the state before that token).
     *
     * @param tokens int32/int64 [B,S]; its manager owns every intermediate and the result
     * @param positions int [B,S], RoPE position of each token
     * @param keyMask float32 [B,S], 1 = real token, 0 = padding
     * @return hidden states float32 [B,S,D]; padded query rows are finite but meaningless
     */
    public NDArray hidden(NDArray tokens, NDArray positions, NDArray keyMask) {
        return trunk(tokens, positions, keyMask, null);
    }

    private NDArray trunk(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        Shape tokenShape = tokens.getShape();
        if (tokenShape.dimension() != 2) {
            throw new IllegalArgumentException("tokens must be [B,S], got " + tokenShape);
        }
        if (tokens.getDataType() != DataType.INT32 && tokens.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException("tokens must be int32 or int64, got " + tokens.getDataType());
        }
        long batch = tokenShape.get(0);
        int seq = Math.toIntExact(tokenShape.get(1));
        int past = cache == null ? 0 : cache.length();
        if (!positions.getShape().equals(tokenShape)) {
            throw new IllegalArgumentException("positions shape " + positions.getShape() + " != tokens shape " + tokenShape);
        }
        Shape expectedMask = new Shape(batch, past + seq);
        if (!keyMask.getShape().equals(expectedMask)) {
            throw new IllegalArgumentException("keyMask shape " + keyMask.getShape() + " != " + expectedMask
                    + " (batch, cached " + past + " + new " + seq + ")");
        }
        if (cache != null && past > 0 && cache.batchSize() != batch) {
            throw new IllegalArgumentException("cache batch " + cache.batchSize() + " != tokens batch " + batch);
        }
        NDManager scope = tokens.getManager();
        NDArray x = embedding.forward(tokens);
        NDList cosSin = rotary.cosSin(scope, positions);
        NDArray maskBias = AttentionMask.bias(scope, keyMask, past, seq);
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x, cosSin, maskBias, cache, i);
        }
        return finalNorm.forward(x);
    }

    /** Every trainable array by stable name (embed.weight, layers.0.attn.wq, ..., lm_head.bias), fixed order. */
    public LinkedHashMap<String, NDArray> parameters() {
        LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
        ParameterFactory.collect("embed.", embedding, out);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).collectParameters("layers." + i + ".", out);
        }
        ParameterFactory.collect("final_norm.", finalNorm, out);
        ParameterFactory.collect("lm_head.", head, out);
        return out;
    }

    /**
     * Copies values into the existing parameter arrays (same names, shapes and float32), so the arrays keep
     * requiring gradients and optimizer state keyed by name stays valid. Checks everything before copying.
     */
    public void loadParameters(Map<String, NDArray> values) {
        LinkedHashMap<String, NDArray> own = parameters();
        for (String name : values.keySet()) {
            if (!own.containsKey(name)) {
                throw new IllegalArgumentException("unexpected tensor '" + name + "' (not a parameter of this model)");
            }
        }
        for (Map.Entry<String, NDArray> entry : own.entrySet()) {
            String name = entry.getKey();
            NDArray value = values.get(name);
            if (value == null) {
                throw new IllegalArgumentException("missing tensor '" + name + "'");
            }
            if (!value.getShape().equals(entry.getValue().getShape())) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + value.getShape()
                        + ", expected " + entry.getValue().getShape());
            }
            if (value.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException("tensor '" + name + "' has dtype " + value.getDataType()
                        + ", expected float32");
            }
        }
        for (Map.Entry<String, NDArray> entry : own.entrySet()) {
            // In-place copy: the parameter array (and its requires-gradient flag) stays the same object.
            values.get(entry.getKey()).copyTo(entry.getValue());
        }
    }

    /** Total number of trainable scalars. */
    public long parameterCount() {
        long count = 0;
        for (NDArray array : parameters().values()) {
            count += array.size();
        }
        return count;
    }

    /** inputs: tokens [B,S], positions [B,S], keyMask [B,S]; full pass without cache. */
    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return new NDList(forward(inputs.get(0), inputs.get(1), inputs.get(2), null));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }
}
