package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * The critic's scalar head: {@code x W + b} with {@code W [D,1]}, read from the final-normed hidden state. W and b
 * start at zero, so the first values are exactly 0 and the first GAE advantages are the plain returns; the head
 * learns in the first step and the backbone from the second on (its gradient goes through W).
 */
public final class ValueHead extends UnaryBlock {

    private final Parameter weight;
    private final Parameter bias;

    public ValueHead(NDManager manager, int dModel) {
        weight = addParameter(ParameterFactory.constant(manager, "weight", Parameter.Type.WEIGHT, 0f, dModel, 1));
        bias = addParameter(ParameterFactory.constant(manager, "bias", Parameter.Type.BIAS, 0f, 1));
    }

    /** hidden [B,S,D] -> values [B,S]. */
    @Override
    public NDArray forward(NDArray x) {
        return x.matMul(weight.getArray()).add(bias.getArray()).squeeze(-1);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1)};
    }
}
