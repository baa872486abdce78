package troupe.trainers.algo;

import java.util.Arrays;
import java.util.List;

/**
 * How much of the returns' variance the critic explains: {@code 1 - Var(R - V) / Var(R)} over the valid tokens of a
 * batch (verl {@code critic/vf_explained_var}, TRL {@code val/var_explained}). 1 is a perfect critic, 0 one that is
 * no better than predicting the mean return, negative one that is worse.
 *
 * <p>Both variances are population variances over the same tokens (computed in double, two passes), so the
 * choice cancels out in the ratio. When {@code Var(R) = 0} (every valid return equal, a single valid token, or none
 * at all) the ratio is undefined; this returns 0 then, so a metric stream never carries NaN or infinity.
 */
public final class ExplainedVariance {

    private ExplainedVariance() {
    }

    /**
     * @param returns {@code [B][T]} value targets R; mask-0 positions are not read
     * @param values  {@code [B][T]} critic values V; mask-0 positions are not read
     * @param mask    {@code [B][T]} of 0 and 1
     */
    public static double of(float[][] returns, float[][] values, float[][] mask) {
        TokenGrid.checkMask(mask);
        TokenGrid.checkLike("returns", returns, mask);
        TokenGrid.checkLike("values", values, mask);
        double n = 0;
        double sumR = 0;
        double sumD = 0;
        float minR = Float.POSITIVE_INFINITY;
        float maxR = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < mask.length; i++) {
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f) {
                    n++;
                    sumR += returns[i][t];
                    sumD += (double) returns[i][t] - values[i][t];
                    minR = Math.min(minR, returns[i][t]);
                    maxR = Math.max(maxR, returns[i][t]);
                }
            }
        }
        // Checked on the values themselves: a computed Var(R) of equal returns can be rounding noise, not 0.
        if (n == 0 || minR == maxR) {
            return 0;
        }
        double meanR = sumR / n;
        double meanD = sumD / n;
        double squaresR = 0;
        double squaresD = 0;
        for (int i = 0; i < mask.length; i++) {
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f) {
                    double r = returns[i][t] - meanR;
                    double d = (double) returns[i][t] - values[i][t] - meanD;
                    squaresR += r * r;
                    squaresD += d * d;
                }
            }
        }
        return 1.0 - squaresD / squaresR;
    }

    /**
     * Rows of per-completion-token values, every entry valid (what the critic and GAE hand over per rollout).
     *
     * @param returns one array per row
     * @param values  one array per row, each as long as the row's returns
     */
    public static double of(List<float[]> returns, List<float[]> values) {
        if (returns == null || values == null) {
            throw new IllegalArgumentException("returns and values must not be null");
        }
        if (returns.size() != values.size()) {
            throw new IllegalArgumentException(returns.size() + " rows of returns but " + values.size()
                    + " rows of values");
        }
        float[][] r = new float[returns.size()][];
        float[][] v = new float[values.size()][];
        int columns = 0;
        for (int i = 0; i < r.length; i++) {
            if (returns.get(i) == null || values.get(i) == null) {
                throw new IllegalArgumentException("row " + i + " is null");
            }
            if (returns.get(i).length != values.get(i).length) {
                throw new IllegalArgumentException("row " + i + " has " + returns.get(i).length + " returns but "
                        + values.get(i).length + " values");
            }
            columns = Math.max(columns, returns.get(i).length);
        }
        float[][] mask = new float[r.length][columns];
        for (int i = 0; i < r.length; i++) {
            r[i] = Arrays.copyOf(returns.get(i), columns);
            v[i] = Arrays.copyOf(values.get(i), columns);
            Arrays.fill(mask[i], 0, returns.get(i).length, 1f);
        }
        return of(r, v, mask);
    }
}
