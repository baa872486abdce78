package troupe.trainers.algo;

/**
 * RLOO advantages (Ahmadian et al. 2024; algorithms.md section 7.1): the baseline of each sample is the mean reward
 * of the <em>other</em> G-1 samples of its group,
 * {@code A_i = r_i - (1/(G-1)) sum_{j != i} r_j = (G/(G-1)) * (r_i - mean_g)}.
 * The baseline does not depend on {@code r_i}, so the estimate stays unbiased (unlike the plain group mean).
 */
public final class LeaveOneOutAdvantage {

    private LeaveOneOutAdvantage() {
    }

    /**
     * @param rewards   one scalar reward per completion, ordered group by group (rows {@code g*G .. g*G+G-1})
     * @param groupSize samples per prompt, G (at least 2: one sample has no "others")
     * @return advantages; a group whose rewards are all equal gets exactly 0
     */
    public static float[] compute(float[] rewards, int groupSize) {
        GroupAdvantage.checkShape(rewards, groupSize);
        float[] advantages = new float[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            if (GroupAdvantage.allEqual(rewards, start, groupSize)) {
                continue;
            }
            double sum = 0;
            for (int i = start; i < start + groupSize; i++) {
                sum += rewards[i];
            }
            for (int i = start; i < start + groupSize; i++) {
                double baseline = (sum - rewards[i]) / (groupSize - 1);
                advantages[i] = (float) (rewards[i] - baseline);
            }
        }
        return advantages;
    }
}
