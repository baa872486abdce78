package troupe.trainers.policy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import troupe.v1.OptimizerSettings;
import troupe.v1.TokenSequence;

/**
 * One optimizer step over token sequences, shared by the policy and the critic: accumulate the gradients of each
 * micro-batch's loss (each already divided by its whole-step count, so the sum is the full-batch loss), then clip
 * and update. A non-finite loss or gradient norm leaves the weights untouched and the gradients zero, and throws
 * {@link OptimizerStep.NonFiniteGradient} so the caller can skip the step.
 */
final class GradientStep {
  private GradientStep() {}

  /** The differentiable loss of one micro-batch; called inside an open GradientCollector. */
  interface MicroBatchLoss {
    NDArray loss(NDManager scope, TokenBatch batch, int fromRow);
  }

  /** Returns the gradient norm before clipping; {@code packLength > 0} packs the sequences into rows (SFT). */
  static float run(OptimizerStep optimizer, OptimizerSettings settings, Map<String, NDArray> parameters,
      long version, NDManager manager, List<TokenSequence> rows, int microBatch, int packLength,
      MicroBatchLoss lossFn) {
    int step = microBatch > 0 ? microBatch : rows.size();
    AutogradLane.LOCK.lock(); // one GradientCollector per JVM (stack.md)
    try {
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        for (int from = 0; from < rows.size(); from += step) {
          List<TokenSequence> chunk = rows.subList(from, Math.min(rows.size(), from + step));
          try (NDManager scope = manager.newSubManager()) {
            int bos = LanguageModel.TOKENIZER.bos();
            int pad = LanguageModel.TOKENIZER.pad();
            TokenBatch tb = packLength > 0 ? TokenBatch.packed(scope, chunk, bos, pad, packLength)
                : TokenBatch.of(scope, chunk, bos, pad);
            NDArray loss = lossFn.loss(scope, tb, from);
            if (!Float.isFinite(loss.getFloat())) {
              // Earlier micro-batches already left gradients: clear them so the next step starts clean.
              parameters.values().forEach(p -> OptimizerStep.zero(p.getGradient()));
              throw new OptimizerStep.NonFiniteGradient("non-finite loss " + loss.getFloat() + " at version "
                  + version);
            }
            collector.backward(loss);
          }
        }
      }
      return optimizer.apply(settings, parameters, version);
    } finally {
      AutogradLane.LOCK.unlock();
    }
  }
}
