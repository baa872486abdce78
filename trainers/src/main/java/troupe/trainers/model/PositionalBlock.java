package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A block that sees token positions (through RoPE) and an attention mask: an attention layer or a whole decoder
 * layer. The model calls the five-argument forward; DJL's entry point runs it without a cache. Shape in = out.
 */
abstract class PositionalBlock extends AbstractBlock {

    protected final RotaryEmbedding rotary;

    PositionalBlock(RotaryEmbedding rotary) {
        this.rotary = rotary;
    }

    abstract NDArray forward(NDArray x, NDList cosSin, NDArray maskBias, KvCache cache, int layer);

    /** inputs: x [B,S,D], positions [B,S], maskBias [B,1,S,S]; no cache. */
    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDList cosSin = rotary.cosSin(x.getManager(), inputs.get(1));
        return new NDList(forward(x, cosSin, inputs.get(2), null, 0));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
