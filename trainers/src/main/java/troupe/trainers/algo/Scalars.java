package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;

/**
 * Scalar constants as NDArrays in the manager of a given array.
 *
 * <p>On the PyTorch engine {@code NDArray.add/sub/mul/div(Number)} wraps the number in a temporary native buffer and
 * frees it at once while autograd may still refer to it (docs/stack.md). Every constant that enters a differentiable
 * expression is therefore created here, in the scope of the step's arrays, and lives as long as that scope.
 */
final class Scalars {

    private Scalars() {
    }

    /** A float32 scalar (shape {@code ()}) holding {@code value}, attached to {@code like}'s manager. */
    static NDArray of(NDArray like, float value) {
        return like.getManager().create(value);
    }

    /** A count used as a denominator, clamped to at least 1 so an empty batch gives 0 instead of 0/0 = NaN. */
    static NDArray count(NDArray like, float count) {
        return of(like, Math.max(1f, count));
    }
}
