package troupe.trainers.algo;

/**
 * Masked whitening (algorithms.md section 0.6):
 * {@code whiten(x, m) = (x - mu) / sqrt(var + 1e-8)}, mean and variance over the mask-1 positions of the whole batch.
 *
 * <p>The variance is either unbiased ({@code * n/(n-1)}: TRL {@code masked_whiten}, verl {@code masked_whiten}) or
 * the population variance (OpenRLHF, which clamps it at 1e-8 instead of adding 1e-8; the two agree unless the
 * variance is below 1e-8). {@code shiftMean = false} re-adds the mean: it only rescales, the form used for reward
 * whitening (section 2.2, TRL {@code whiten_rewards}). Mask-0 positions come out as 0.
 */
public final class Whitening {

    /** Added to the variance under the square root (verl, TRL). */
    public static final double VARIANCE_EPS = 1e-8;

    private Whitening() {
    }

    /**
     * @param values    {@code [B][T]}; mask-0 positions are not read
     * @param mask      {@code [B][T]} of 0 and 1
     * @param unbiased  true: Bessel-corrected variance (needs at least 2 valid positions, as in verl)
     * @param shiftMean false: add the mean back after scaling (scale only)
     */
    public static float[][] whiten(float[][] values, float[][] mask, boolean unbiased, boolean shiftMean) {
        TokenGrid.checkMask(mask);
        TokenGrid.checkLike("values", values, mask);
        double n = 0;
        double sum = 0;
        for (int i = 0; i < mask.length; i++) {
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f) {
                    n++;
                    sum += values[i][t];
                }
            }
        }
        checkCount(n, unbiased);
        double mean = sum / n;
        double squares = 0;
        for (int i = 0; i < mask.length; i++) {
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f) {
                    double d = values[i][t] - mean;
                    squares += d * d;
                }
            }
        }
        double variance = squares / (unbiased ? n - 1 : n);
        double scale = 1.0 / Math.sqrt(variance + VARIANCE_EPS);
        float[][] out = new float[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            out[i] = new float[mask[i].length];
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f) {
                    double w = (values[i][t] - mean) * scale;
                    out[i][t] = (float) (shiftMean ? w : w + mean);
                }
            }
        }
        return out;
    }

    /**
     * Reward whitening over a batch of per-sequence scalars (section 2.2 "Reward whitening"; every entry counts).
     * With {@code shiftMean = false} the rewards are only rescaled, as TRL's {@code whiten_rewards} does.
     */
    public static float[] whiten(float[] values, boolean unbiased, boolean shiftMean) {
        if (values == null) {
            throw new IllegalArgumentException("values must not be null");
        }
        float[][] mask = new float[1][values.length];
        java.util.Arrays.fill(mask[0], 1f);
        return whiten(new float[][] {values}, mask, unbiased, shiftMean)[0];
    }

    private static void checkCount(double n, boolean unbiased) {
        if (n == 0) {
            throw new IllegalArgumentException("whitening needs at least one valid (mask 1) value, got none");
        }
        if (unbiased && n == 1) {
            // n/(n-1) is undefined; verl raises here too.
            throw new IllegalArgumentException("whitening with the unbiased variance needs at least 2 valid values, "
                    + "got 1");
        }
    }
}
