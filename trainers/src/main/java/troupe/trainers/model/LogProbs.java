package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Per-token log-probabilities and entropies from logits (docs/algorithms.md section 0.2), in float32.
 * Results belong to the logits' manager; both functions are differentiable.
 */
public final class LogProbs {

    private LogProbs() {
    }

    /**
     * @param logits float32 [B,T,V]
     * @param targets int [B,T], the token whose log-prob is taken at each position
     * @param temperature logits are divided by it before the log-softmax (the sampling temperature)
     * @return float32 [B,T] = log_softmax(logits / temperature)[targets]
     */
    public static NDArray tokenLogProbs(NDArray logits, NDArray targets, float temperature) {
        NDArray logSoftmax = scaled(logits, temperature).logSoftmax(-1);
        NDArray index = targets.toType(DataType.INT64, false).expandDims(-1);
        return logSoftmax.gather(index, -1).squeeze(-1);
    }

    /** Entropy of softmax(logits / temperature) per position: -sum_v p_v log p_v, float32 [B,T]. */
    public static NDArray entropy(NDArray logits, float temperature) {
        NDArray logSoftmax = scaled(logits, temperature).logSoftmax(-1);
        return logSoftmax.exp().mul(logSoftmax).sum(new int[] {-1}).neg();
    }

    private static NDArray scaled(NDArray logits, float temperature) {
        if (!(temperature > 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive finite number, got " + temperature);
        }
        if (temperature == 1f) {
            return logits;
        }
        // The divisor is an NDArray in the logits' scope: a Java Number operand can corrupt gradients (stack.md).
        return logits.div(logits.getManager().create(temperature));
    }
}
