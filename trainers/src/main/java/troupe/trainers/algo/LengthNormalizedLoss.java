package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * The reference-free preference losses that compare length-averaged log-likelihoods {@code avg = (1/|y|) sum_t lp_t}
 * of chosen (w) and rejected (l) completions:
 * <ul>
 *   <li>{@code simpo} (algorithms.md 7.5): {@code softplus(-(beta (avg_w - avg_l) - gamma))};
 *   <li>{@code orpo} (7.4): {@code NLL(chosen) - beta * logsig(log_odds)}, {@code log_odds = (avg_w - avg_l) -
 *       (log(1 - exp(avg_w)) - log(1 - exp(avg_l)))}, the NLL a token mean over the chosen completions.
 * </ul>
 * Metrics: rewards are {@code beta * avg} (SimPO's implicit reward; ORPO logs the same), accuracy is the share of
 * pairs whose chosen average is higher.
 */
public final class LengthNormalizedLoss {
  public static final List<String> TYPES = List.of("simpo", "orpo");

  /** avg is capped just below 0 so that log(1 - exp(avg)) stays finite for a completion of probability ~1. */
  private static final float MAX_AVG = -1e-6f;

  private LengthNormalizedLoss() {}

  /**
   * @param chosenSum     [B] summed log-probs of the chosen completions (with gradient)
   * @param rejectedSum   [B]
   * @param chosenLength  [B] completion tokens of each chosen completion (>= 1)
   * @param rejectedLength [B]
   * @param type          simpo or orpo
   * @param beta          SimPO's beta (paper 2.5) or ORPO's lambda (0.1), > 0
   * @param gamma         SimPO's target margin (paper 1.375); ignored by orpo
   */
  public static DpoLoss.Result compute(NDArray chosenSum, NDArray rejectedSum, NDArray chosenLength,
      NDArray rejectedLength, String type, float beta, float gamma) {
    if (!(beta > 0) || Float.isInfinite(beta)) {
      throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
    }
    NDArray avgW = chosenSum.div(chosenLength);
    NDArray avgL = rejectedSum.div(rejectedLength);
    NDArray b = Scalars.of(chosenSum, beta);
    NDArray loss = switch (type) {
      case "simpo" -> DpoLoss.softplus(avgW.sub(avgL).mul(b).sub(Scalars.of(chosenSum, gamma)).neg()).mean();
      case "orpo" -> {
        NDArray logOdds = avgW.sub(avgL).sub(log1mexp(avgW).sub(log1mexp(avgL)));
        NDArray nll = chosenSum.sum().neg().div(chosenLength.sum());
        yield nll.add(DpoLoss.softplus(logOdds.neg()).mean().mul(b)); // -logsig(x) = softplus(-x)
      }
      default -> throw new IllegalArgumentException("unknown length-normalized loss \"" + type + "\"; allowed: "
          + String.join(", ", TYPES));
    };
    NDArray rewardW = avgW.stopGradient().mul(b);
    NDArray rewardL = avgL.stopGradient().mul(b);
    float accuracy = rewardW.gt(rewardL).toType(DataType.FLOAT32, false).mean().getFloat();
    return new DpoLoss.Result(loss, rewardW.mean().getFloat(), rewardL.mean().getFloat(), accuracy);
  }

  /** log(1 - exp(a)) for a < 0. */
  static NDArray log1mexp(NDArray a) {
    return Scalars.of(a, 1f).sub(a.minimum(Scalars.of(a, MAX_AVG)).exp()).log();
  }
}
