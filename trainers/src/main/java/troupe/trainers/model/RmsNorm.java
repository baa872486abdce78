package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
final class RmsNorm extends AbstractBlock {

    private static final float EPS = 1e-6f;

    private final Parameter weight;

    RmsNorm(NDManager manager, int dim) {
        weight = addParameter(ParameterFactory.constant(manager, "weight", Parameter.Type.GAMMA, 1f, dim));
    }

    NDArray forward(NDArray x) {
        // The scalar is an NDArray in the activations' scope: Java-number operands can corrupt autograd (stack.md).
        NDArray eps = x.getManager().create(EPS);
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(eps).sqrt()).mul(weight.getArray());
    }

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
