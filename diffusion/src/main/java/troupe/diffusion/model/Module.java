package troupe.diffusion.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.LinkedHashMap;
import java.util.Map;
import troupe.trainers.model.ParameterFactory;

/**
 * A block with several inputs that the model calls through typed methods; it names its children so that every
 * parameter gets a stable dotted name (blocks.0.attn.q.weight) for checkpoints and weight sync.
 */
abstract class Module extends AbstractBlock {
  private final LinkedHashMap<String, AbstractBlock> children = new LinkedHashMap<>();

  <T extends AbstractBlock> T child(String name, T block) {
    children.put(name, block);
    return addChildBlock(name, block);
  }

  /** This block's parameters, then each child's, in registration order, as prefix + dotted name. */
  void collect(String prefix, Map<String, NDArray> out) {
    ParameterFactory.collect(prefix, this, out);
    for (Map.Entry<String, AbstractBlock> e : children.entrySet()) {
      String childPrefix = prefix + e.getKey() + ".";
      if (e.getValue() instanceof Module m) {
        m.collect(childPrefix, out);
      } else {
        ParameterFactory.collect(childPrefix, (AbstractBlock) e.getValue(), out);
      }
    }
  }

  /** x * sigmoid(x); DJL's Activation has no silu for plain arrays. */
  static NDArray silu(NDArray x) {
    return x.mul(ai.djl.nn.Activation.sigmoid(x));
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> params) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " is called through its typed forward");
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
