package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A block with one input and one output. The model calls {@link #forward(NDArray)} directly; the DJL entry point
 * delegates to it. The output shape is the input's unless a subclass says otherwise.
 */
public abstract class UnaryBlock extends AbstractBlock {

    public abstract NDArray forward(NDArray x);

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return new NDList(forward(inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
