/**
 * Compute for flow-matching image models: the velocity network, samplers with per-step log-probabilities and
 * image rewards. Pure functions over NDArrays; no actors. Filled in by the Flow-GRPO issue.
 */
package troupe.diffusion;
