package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
public final class RmsNorm extends UnaryBlock {

    private static final float EPS = 1e-6f;

    private final Parameter weight;

    public RmsNorm(NDManager manager, int dim) {
        weight = addParameter(ParameterFactory.constant(manager, "weight", Parameter.Type.GAMMA, 1f, dim));
    }

    @Override
    public NDArray forward(NDArray x) {
        // The scalar is an NDArray in the activations' scope: Java-number operands can corrupt autograd (stack.md).
        NDArray eps = x.getManager().create(EPS);
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(eps).sqrt()).mul(weight.getArray());
    }
}
