package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import java.util.Random;

/** Position-wise feed-forward: silu(x W1) W2, no biases. */
public final class Mlp extends UnaryBlock {

    private final Parameter w1;
    private final Parameter w2;

    /** residualStd is the (smaller) std of W2, which writes into the residual stream. */
    public Mlp(NDManager manager, Random random, int dModel, int dFf, float std, float residualStd) {
        w1 = addParameter(ParameterFactory.normal(manager, random, "w1", std, dModel, dFf));
        w2 = addParameter(ParameterFactory.normal(manager, random, "w2", residualStd, dFf, dModel));
    }

    @Override
    public NDArray forward(NDArray x) {
        // Activation first in every product, so results land in the activations' manager, not the parameters'.
        NDArray hidden = x.matMul(w1.getArray());
        NDArray silu = hidden.mul(Activation.sigmoid(hidden));
        return silu.matMul(w2.getArray());
    }
}
