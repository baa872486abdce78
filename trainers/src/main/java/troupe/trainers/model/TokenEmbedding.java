package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Random;

/** Token id -> vector lookup table [vocab, dModel]. */
public final class TokenEmbedding extends UnaryBlock {

    private final Parameter weight;
    private final int dModel;

    public TokenEmbedding(NDManager manager, Random random, int vocabSize, int dModel, float std) {
        this.dModel = dModel;
        weight = addParameter(ParameterFactory.normal(manager, random, "weight", std, vocabSize, dModel));
    }

    /** tokens int [B,S] -> float32 [B,S,dModel], attached to the tokens' manager. */
    @Override
    public NDArray forward(NDArray tokens) {
        // Row indexing would otherwise put the result in the parameters' manager; get(manager, ...) picks the owner.
        return weight.getArray().get(tokens.getManager(), new NDIndex("{}", tokens));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(dModel)};
    }
}
