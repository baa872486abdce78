package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Random;

/** Output projection to vocabulary logits: x W + b (untied from the embedding). */
final class LmHead extends UnaryBlock {

    private final Parameter weight;
    private final Parameter bias;
    private final int vocabSize;

    LmHead(NDManager manager, Random random, int dModel, int vocabSize, float std) {
        this.vocabSize = vocabSize;
        weight = addParameter(ParameterFactory.normal(manager, random, "weight", std, dModel, vocabSize));
        bias = addParameter(ParameterFactory.constant(manager, "bias", Parameter.Type.BIAS, 0f, vocabSize));
    }

    @Override
    public NDArray forward(NDArray x) {
        return x.matMul(weight.getArray()).add(bias.getArray());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(vocabSize)};
    }
}
