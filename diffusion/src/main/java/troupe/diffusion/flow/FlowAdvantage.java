package troupe.diffusion.flow;

/**
 * Flow-GRPO advantages (algorithms.md section 6.5; flow_grpo {@code PerPromptStatTracker}): per-prompt mean, a
 * population std (ddof 0) that is global to the batch by default, {@code + eps}, then clipped to
 * {@code [-clipMax, clipMax]} (train_sd3.py clips with {@code adv_clip_max = 5} before the loss).
 *
 * <p>Plain Java arithmetic in double: there is one scalar reward per image, not a tensor.
 */
public final class FlowAdvantage {

    private FlowAdvantage() {
    }

    /**
     * @param rewards   one reward per image, laid out group by group: samples {@code g*G .. g*G+G-1} share prompt g
     * @param valid     false for samples without a usable reward (their reward is never read, it may be NaN)
     * @param groupSize G, samples per prompt (at least 2: a single sample has no baseline)
     * @param globalStd true: std over all valid rewards of the batch (flow_grpo's default); false: over the group's
     * @param eps       added to the std (flow_grpo 1e-4)
     * @param clipMax   advantages are clipped to {@code [-clipMax, clipMax]} (flow_grpo 5)
     * @return advantages; 0 for invalid samples, for groups with fewer than 2 valid samples and for groups whose valid
     *         rewards are all equal (no learning signal)
     */
    public static float[] compute(float[] rewards, boolean[] valid, int groupSize, boolean globalStd, float eps,
                                  float clipMax) {
        if (groupSize < 2) {
            throw new IllegalArgumentException("groupSize must be >= 2 (a group needs a baseline), got " + groupSize);
        }
        if (rewards.length % groupSize != 0) {
            throw new IllegalArgumentException("rewards length " + rewards.length + " is not a multiple of groupSize "
                    + groupSize);
        }
        if (valid.length != rewards.length) {
            throw new IllegalArgumentException("valid length " + valid.length + " differs from rewards length "
                    + rewards.length);
        }
        if (!(eps >= 0f)) {
            throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        }
        if (!(clipMax > 0f)) {
            throw new IllegalArgumentException("clipMax must be > 0, got " + clipMax);
        }
        double batchStd = populationStd(rewards, valid, 0, rewards.length);
        float[] advantages = new float[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            int end = start + groupSize;
            if (countValid(valid, start, end) < 2 || validAllEqual(rewards, valid, start, end)) {
                // No baseline, or no signal. Writing 0 explicitly also avoids (r - mean) rounding to tiny non-zeros
                // that a small std + eps would blow up.
                continue;
            }
            double mean = mean(rewards, valid, start, end);
            double std = globalStd ? batchStd : populationStd(rewards, valid, start, end);
            for (int i = start; i < end; i++) {
                if (!valid[i]) {
                    continue;
                }
                double a = (rewards[i] - mean) / (std + eps);
                advantages[i] = (float) Math.max(-clipMax, Math.min(clipMax, a));
            }
        }
        return advantages;
    }

    private static int countValid(boolean[] valid, int start, int end) {
        int n = 0;
        for (int i = start; i < end; i++) {
            if (valid[i]) {
                n++;
            }
        }
        return n;
    }

    private static boolean validAllEqual(float[] rewards, boolean[] valid, int start, int end) {
        boolean seen = false;
        float first = 0f;
        for (int i = start; i < end; i++) {
            if (!valid[i]) {
                continue;
            }
            if (!seen) {
                first = rewards[i];
                seen = true;
            } else if (rewards[i] != first) {
                return false;
            }
        }
        return true;
    }

    /** Mean of the valid rewards in {@code [start, end)}; 0 if there are none. */
    private static double mean(float[] rewards, boolean[] valid, int start, int end) {
        double sum = 0.0;
        int n = 0;
        for (int i = start; i < end; i++) {
            if (valid[i]) {
                sum += rewards[i];
                n++;
            }
        }
        return n == 0 ? 0.0 : sum / n;
    }

    /** {@code np.std} (ddof 0) of the valid rewards in {@code [start, end)}; 0 if there are none. */
    private static double populationStd(float[] rewards, boolean[] valid, int start, int end) {
        double mean = mean(rewards, valid, start, end);
        double sumSquares = 0.0;
        int n = 0;
        for (int i = start; i < end; i++) {
            if (valid[i]) {
                double d = rewards[i] - mean;
                sumSquares += d * d;
                n++;
            }
        }
        return n == 0 ? 0.0 : Math.sqrt(sumSquares / n);
    }
}
