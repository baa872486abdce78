/**
 * Loss functions, advantage estimators and the other named parts of post-training algorithms
 * (docs/algorithms.md sections 0, 1, 2, 4, 5 and 7).
 *
 * <p>Parts selectable by name: {@link troupe.trainers.algo.AdvantageEstimators}, {@link
 * troupe.trainers.algo.PolicyLosses}, {@link troupe.trainers.algo.LossAggregation}, {@link
 * troupe.trainers.algo.KlEstimators} and {@link troupe.trainers.algo.KlController}; an unknown name fails with the
 * list of allowed names.
 *
 * <p>Every function here is pure: it reads its inputs, returns new values and keeps no state. Per-token tensors that
 * carry gradient are DJL NDArrays: float32, masks are float tensors of 1 and 0 that are multiplied in (never
 * boolean-indexed, so shapes stay static), and every denominator is clamped to at least 1 (counts) or eps (standard
 * deviations). Advantages are computed once per rollout without gradient, by right-to-left recursions, so they work
 * on Java rows ({@code float[B]} per sequence, {@code float[B][T]} per token with a 0/1 mask) in double precision.
 *
 * <p>Intermediate and result arrays are attached to the manager of the first input (the current log-probs or the
 * per-token loss); call these functions inside a per-step {@code NDManager} and close it after the backward pass.
 * Scalar constants that enter a differentiable expression are created as NDArrays in that same manager, never
 * passed as Java {@code Number}s (docs/stack.md, "scalar operands can corrupt gradients").
 */
package troupe.trainers.algo;
