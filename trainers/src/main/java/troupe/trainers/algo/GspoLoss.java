package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * GSPO's sequence-level policy loss (Zheng et al. 2025; algorithms.md section 7.6). The importance ratio is the
 * geometric mean of the token ratios of a sequence, and clipping acts on the whole sequence:
 * <pre>
 *   s_i    = exp( (1/|y_i|) * sum_t m[i,t] * (lp[i,t] - lp_old[i,t]) )
 *   loss_i = max( -A_i * s_i, -A_i * clip(s_i, 1 - clipLow, 1 + clipHigh) )
 * </pre>
 * averaged over sequences ({@link PolicyLoss.Result#aggregate}). Because {@code s_i} is a per-token geometric mean,
 * the clip range is tiny (3e-4 / 4e-4 in the paper's setting). The optional log-ratio clamp applies to
 * {@code log s_i} (verl clamps it at 10). Dual-clip is not part of GSPO and is rejected.
 */
public final class GspoLoss {

    private GspoLoss() {
    }

    /**
     * @param logProbs    {@code [B,T]} current policy log-probs (carry gradient)
     * @param oldLogProbs {@code [B,T]} behaviour-policy log-probs
     * @param advantages  {@code [B]} or {@code [B,1]}: one advantage per sequence
     * @param mask        {@code [B,T]} float response mask; a row without valid tokens gets loss 0 and ratio 1
     * @param params      clip band and log-ratio clamp ({@code dualClipC} must be null)
     * @return a sequence-level result: loss, ratio and clip indicators of shape {@code [B]}
     */
    public static PolicyLoss.Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray advantages, NDArray mask,
                                            PolicyLoss.ClipParams params) {
        if (params == null) {
            throw new IllegalArgumentException("params must not be null");
        }
        if (params.dualClipC() != null) {
            throw new IllegalArgumentException("policy loss gspo has no dual-clip; dualClipC must be null, got "
                    + params.dualClipC());
        }
        long rows = logProbs.getShape().get(0);
        if (advantages.size() != rows || advantages.getShape().dimension() > 2) {
            throw new IllegalArgumentException("gspo needs one advantage per sequence ([B] or [B,1] with B = " + rows
                    + "), got shape " + advantages.getShape());
        }
        NDArray zero = Scalars.of(logProbs, 0f);
        NDArray rowTokens = mask.sum(new int[] {1});
        NDArray nonEmpty = rowTokens.gt(zero).toType(DataType.FLOAT32, false);
        // Empty rows get A = 0 (loss 0) and log s = 0 / 1 = 0 (ratio 1).
        NDArray a = advantages.reshape(rows).stopGradient().mul(nonEmpty);
        NDArray logS = logProbs.sub(oldLogProbs).mul(mask).sum(new int[] {1})
                .div(rowTokens.maximum(Scalars.of(logProbs, 1f)));
        if (params.logRatioLimit() != null) {
            logS = logS.clip(-params.logRatioLimit(), params.logRatioLimit());
        }
        NDArray s = logS.exp();
        NDArray unclippedLoss = s.mul(a).neg();
        NDArray clippedLoss = s.clip(1f - params.clipLow(), 1f + params.clipHigh()).mul(a).neg();
        NDArray loss = unclippedLoss.maximum(clippedLoss);
        NDArray clipTaken = clippedLoss.gt(unclippedLoss);
        NDArray low = clipTaken.logicalAnd(zero.gt(a)).toType(DataType.FLOAT32, false).stopGradient();
        NDArray high = clipTaken.logicalAnd(zero.lt(a)).toType(DataType.FLOAT32, false).stopGradient();
        return new PolicyLoss.Result(loss, true, low, high, low.zerosLike(), s);
    }
}
