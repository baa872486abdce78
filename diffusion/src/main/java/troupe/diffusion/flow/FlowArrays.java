package troupe.diffusion.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Small NDArray helpers shared by the Flow-GRPO math. */
final class FlowArrays {

    private FlowArrays() {
    }

    /**
     * A float32 scalar (shape {@code ()}) in {@code like}'s manager. On the PyTorch engine
     * {@code add/sub/mul/div(Number)} frees its temporary scalar while autograd may still use it (docs/stack.md), so
     * every constant of a differentiated expression is an NDArray that lives as long as the step's arrays.
     */
    static NDArray scalar(NDArray like, float value) {
        return like.getManager().create(value);
    }

    /**
     * Per-sample mean over all non-batch elements of a {@code [B, ...]} array, as {@code [B]}. Flattened to
     * {@code [B, D]} first because the PyTorch engine's {@code mean(int[])} accepts only one axis.
     */
    static NDArray perSampleMean(NDArray batch, String name) {
        Shape shape = batch.getShape();
        if (shape.dimension() < 2) {
            throw new IllegalArgumentException(name + " must be [B, ...] with at least 2 dimensions, got " + shape);
        }
        return batch.reshape(shape.get(0), -1).mean(new int[] {1});
    }

    /** The SDE math must run in float32 (the reference casts to fp32 because bf16 overflows in the mean). */
    static void requireFloat32(NDArray array, String name) {
        if (array.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(name + " must be float32, got " + array.getDataType());
        }
    }

    /** Same shape, or an IllegalArgumentException naming both (broadcasting would hide a layout mistake). */
    static void requireSameShape(NDArray a, String aName, NDArray b, String bName) {
        Shape sa = a.getShape();
        Shape sb = b.getShape();
        if (!sa.equals(sb)) {
            throw new IllegalArgumentException(aName + " " + sa + " and " + bName + " " + sb + " must have the same shape");
        }
    }
}
