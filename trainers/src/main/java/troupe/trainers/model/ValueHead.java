package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Random;

/**
 * The critic's scalar head: {@code x W + b} with {@code W [D,1]}, read from the final-normed hidden state. Small
 * normal init for W and a zero bias, so initial values are near 0 and the backbone's features are not swamped.
 */
public final class ValueHead extends UnaryBlock {

    private final Parameter weight;
    private final Parameter bias;

    public ValueHead(NDManager manager, Random random, int dModel, float std) {
        weight = addParameter(ParameterFactory.normal(manager, random, "weight", std, dModel, 1));
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
