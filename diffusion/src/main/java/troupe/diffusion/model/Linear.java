package troupe.diffusion.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Random;
import troupe.trainers.model.ParameterFactory;
import troupe.trainers.model.UnaryBlock;

/** x W + b over the last axis. std 0 gives a zero-initialized layer (adaLN-Zero gates, the output head). */
final class Linear extends UnaryBlock {
  private final Parameter weight;
  private final Parameter bias;
  private final int out;

  Linear(NDManager manager, Random random, int in, int out, float std) {
    this.out = out;
    weight = addParameter(std > 0
        ? ParameterFactory.normal(manager, random, "weight", std, in, out)
        : ParameterFactory.constant(manager, "weight", Parameter.Type.WEIGHT, 0f, in, out));
    bias = addParameter(ParameterFactory.constant(manager, "bias", Parameter.Type.BIAS, 0f, out));
  }

  @Override
  public NDArray forward(NDArray x) {
    return x.matMul(weight.getArray()).add(bias.getArray());
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {in.slice(0, in.dimension() - 1).add(out)};
  }
}
