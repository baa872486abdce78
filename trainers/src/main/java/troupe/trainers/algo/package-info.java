/**
 * Loss functions and advantage estimators for post-training (docs/algorithms.md sections 0, 1 and 4).
 *
 * <p>Every NDArray function here is pure: it reads its inputs, returns new arrays and keeps no state. Inputs are
 * float32, masks are float tensors of 1 and 0 that are multiplied in (never boolean-indexed, so shapes stay
 * static), and every denominator is clamped to at least 1 (counts) or eps (standard deviations).
 *
 * <p>Intermediate and result arrays are attached to the manager of the first input (the current log-probs or the
 * per-token loss); call these functions inside a per-step {@code NDManager} and close it after the backward pass.
 * Scalar constants that enter a differentiable expression are created as NDArrays in that same manager, never
 * passed as Java {@code Number}s (docs/stack.md, "scalar operands can corrupt gradients").
 */
package troupe.trainers.algo;
