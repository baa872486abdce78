package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/** Creates trainable parameter arrays deterministically and lists a block's own parameters by name. */
public final class ParameterFactory {

    private ParameterFactory() {
    }

    /** normal(0, std) drawn from the caller's Random, so a seed fixes every value independent of the engine. */
    public static Parameter normal(NDManager manager, Random random, String name, float std, long... shape) {
        float[] values = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return parameter(manager, name, Parameter.Type.WEIGHT, values, shape);
    }

    /** Every element equal to value (RMSNorm gains start at 1, biases at 0). */
    public static Parameter constant(NDManager manager, String name, Parameter.Type type, float value, long... shape) {
        float[] values = new float[Math.toIntExact(new Shape(shape).size())];
        Arrays.fill(values, value);
        return parameter(manager, name, type, values, shape);
    }

    private static Parameter parameter(NDManager manager, String name, Parameter.Type type, float[] values,
            long... shape) {
        NDArray array = manager.create(values, new Shape(shape));
        // Leaf arrays must ask for gradients, or a GradientCollector computes nothing for them.
        array.setRequiresGradient(true);
        return Parameter.builder().setName(name).setType(type).optArray(array).optRequiresGrad(true).build();
    }

    /** Adds the block's direct parameters to out as prefix + name, in the order the block registered them. */
    public static void collect(String prefix, AbstractBlock block, Map<String, NDArray> out) {
        for (Pair<String, Parameter> entry : block.getDirectParameters()) {
            out.put(prefix + entry.getKey(), entry.getValue().getArray());
        }
    }
}
