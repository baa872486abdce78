package troupe.trainers.algo;

/**
 * GRPO outcome advantages normalised inside each group of samples of one prompt (algorithms.md section 4.3), and
 * the Dr. GRPO variant without the std division (section 4.7).
 *
 * <p>{@code A_i = (r_i - mean_g) / (std_g + eps)}. Rewards are ordered group by group: rows {@code g*G .. g*G+G-1}
 * belong to group {@code g}. Plain Java arithmetic (in double) because rewards are scalars per sequence, not tensors.
 */
public final class GroupAdvantage {

    private GroupAdvantage() {
    }

    /**
     * Group-normalised advantages, one per reward.
     *
     * @param rewards     one scalar reward per sampled completion, ordered group by group
     * @param groupSize   samples per prompt, G (at least 2)
     * @param eps         added to the standard deviation (verl 1e-6, TRL 1e-4; algorithms.md section 8)
     * @param unbiasedStd true: divide the squared deviations by G-1 (TRL, verl); false: by G (flow_grpo, DDPO)
     * @return advantages; a group whose rewards are all equal (std 0) gets exactly 0, never NaN
     */
    public static float[] compute(float[] rewards, int groupSize, float eps, boolean unbiasedStd) {
        checkShape(rewards, groupSize);
        if (!(eps >= 0f)) {
            throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        }
        float[] advantages = new float[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            if (allEqual(rewards, start, groupSize)) {
                // std is 0: the group carries no learning signal. Writing 0 explicitly avoids 0/0 when eps == 0
                // and the tiny non-zero values that (r - mean) can give in floating point.
                continue;
            }
            double mean = mean(rewards, start, groupSize);
            double std = std(rewards, start, groupSize, mean, unbiasedStd);
            for (int i = start; i < start + groupSize; i++) {
                advantages[i] = (float) ((rewards[i] - mean) / (std + eps));
            }
        }
        return advantages;
    }

    /**
     * Dr. GRPO advantages (algorithms.md section 4.7): {@code A_i = r_i - mean_g}, no division by the std, so
     * near-all-correct and near-all-wrong groups are not amplified (the "difficulty bias" of section 4.6).
     *
     * @param rewards   one scalar reward per sampled completion, ordered group by group
     * @param groupSize samples per prompt, G (at least 2)
     * @return advantages; a group whose rewards are all equal gets exactly 0
     */
    public static float[] meanCentred(float[] rewards, int groupSize) {
        checkShape(rewards, groupSize);
        float[] advantages = new float[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            if (allEqual(rewards, start, groupSize)) {
                continue; // exact zeros, not the rounding error of r - mean
            }
            double mean = mean(rewards, start, groupSize);
            for (int i = start; i < start + groupSize; i++) {
                advantages[i] = (float) (rewards[i] - mean);
            }
        }
        return advantages;
    }

    /**
     * Fraction of groups whose rewards are all equal (std 0): these give zero advantages and no gradient, the
     * signal DAPO's dynamic sampling filters out.
     */
    public static float zeroStdFraction(float[] rewards, int groupSize) {
        checkShape(rewards, groupSize);
        int groups = rewards.length / groupSize;
        if (groups == 0) {
            return 0f;
        }
        int flat = 0;
        for (int start = 0; start < rewards.length; start += groupSize) {
            if (allEqual(rewards, start, groupSize)) {
                flat++;
            }
        }
        return (float) flat / groups;
    }

    static void checkShape(float[] rewards, int groupSize) {
        if (rewards == null) {
            throw new IllegalArgumentException("rewards must not be null");
        }
        if (groupSize < 2) {
            throw new IllegalArgumentException("groupSize must be >= 2 (a group needs a baseline), got " + groupSize);
        }
        if (rewards.length % groupSize != 0) {
            throw new IllegalArgumentException("rewards length " + rewards.length
                    + " is not a multiple of groupSize " + groupSize);
        }
    }

    static boolean allEqual(float[] rewards, int start, int groupSize) {
        for (int i = start + 1; i < start + groupSize; i++) {
            if (rewards[i] != rewards[start]) {
                return false;
            }
        }
        return true;
    }

    static double mean(float[] rewards, int start, int groupSize) {
        double sum = 0;
        for (int i = start; i < start + groupSize; i++) {
            sum += rewards[i];
        }
        return sum / groupSize;
    }

    private static double std(float[] rewards, int start, int groupSize, double mean, boolean unbiased) {
        double squares = 0;
        for (int i = start; i < start + groupSize; i++) {
            double deviation = rewards[i] - mean;
            squares += deviation * deviation;
        }
        int dof = unbiased ? groupSize - 1 : groupSize;
        return Math.sqrt(squares / dof);
    }
}
