package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Rotary position embedding (RoPE), "rotate half" layout: channel i is paired with channel i + headDim/2 and the
 * pair is rotated by angle position * base^(-2i/headDim). No parameters; positions come per token, so
 * left-padded rows can start counting at their first real token.
 */
final class RotaryEmbedding extends AbstractBlock {

    private static final double BASE = 10000.0;

    private final int half;
    private final float[] inverseFrequencies;

    RotaryEmbedding(int headDim) {
        half = headDim / 2;
        inverseFrequencies = new float[half];
        for (int i = 0; i < half; i++) {
            inverseFrequencies[i] = (float) Math.pow(BASE, -2.0 * i / headDim);
        }
    }

    /** positions int [B,S] -> (cos, sin), each float32 [B,1,S,headDim/2], owned by manager. */
    NDList cosSin(NDManager manager, NDArray positions) {
        long batch = positions.getShape().get(0);
        long seq = positions.getShape().get(1);
        NDArray frequencies = manager.create(inverseFrequencies, new Shape(1, 1, half));
        NDArray pos = positions.toType(DataType.FLOAT32, false).reshape(batch, seq, 1);
        NDArray angles = frequencies.mul(pos).reshape(batch, 1, seq, half);
        return new NDList(angles.cos(), angles.sin());
    }

    /** x [B,H,S,headDim] rotated by the angles from cosSin. */
    NDArray rotate(NDArray x, NDList cosSin) {
        NDArray cos = cosSin.get(0);
        NDArray sin = cosSin.get(1);
        NDList halves = x.split(2, 3);
        NDArray x1 = halves.get(0);
        NDArray x2 = halves.get(1);
        NDArray first = x1.mul(cos).sub(x2.mul(sin));
        NDArray second = x1.mul(sin).add(x2.mul(cos));
        return first.concat(second, 3);
    }

    /** inputs: x [B,H,S,headDim], positions [B,S]. */
    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        return new NDList(rotate(x, cosSin(x.getManager(), inputs.get(1))));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
