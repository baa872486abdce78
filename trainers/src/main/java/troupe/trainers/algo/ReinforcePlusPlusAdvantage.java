package troupe.trainers.algo;

/**
 * REINFORCE++ and REINFORCE++-baseline advantages (Hu et al. 2025; algorithms.md section 7.2): critic-free, the
 * advantage of a token is its discounted return-to-go of the KL-shaped token rewards, whitened over all valid
 * tokens of the whole rollout batch ("global" normalisation, not per group):
 * <pre>
 *   r_t = [t == last] * score - beta * kl_t        ({@link TokenRewards#perToken})
 *   G_t = sum_{s >= t} gamma^(s-t) * r_s
 *   A   = whiten(G, m)                             ({@link Whitening}, section 0.6)
 * </pre>
 * The baseline variant first subtracts the group mean of the scores ({@code score_i - mean_group(score)}), as
 * OpenRLHF's {@code reinforce_baseline} does, then continues identically.
 */
public final class ReinforcePlusPlusAdvantage {

    private ReinforcePlusPlusAdvantage() {
    }

    /** Advantages (whitened) and the returns {@code G} they were whitened from, both {@code [B][T]}. */
    public record Result(float[][] advantages, float[][] returns) {
    }

    /**
     * Discounted returns-to-go {@code G_t = r_t + gamma * G_{t+1}}, right to left, 0 after the last valid token.
     * A mask-0 position inside a row (an observation token of a multi-turn rollout) is skipped and the running
     * return carried across it, as verl-project 1dda039 does (b178a3c reset it; both agree for right padding).
     * Mask-0 positions get 0.
     */
    public static float[][] discountedReturns(float[][] tokenRewards, float[][] mask, float gamma) {
        TokenGrid.checkMask(mask);
        TokenGrid.checkLike("tokenRewards", tokenRewards, mask);
        checkUnit("gamma", gamma);
        float[][] returns = new float[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            returns[i] = new float[mask[i].length];
            double running = 0;
            for (int t = mask[i].length - 1; t >= 0; t--) {
                if (mask[i][t] == 0f) {
                    continue;
                }
                running = tokenRewards[i][t] + gamma * running;
                returns[i][t] = (float) running;
            }
        }
        return returns;
    }

    /**
     * REINFORCE++.
     *
     * @param scores      {@code [B]} outcome scores
     * @param mask        {@code [B][T]} response mask
     * @param tokenKl     {@code [B][T]} per-token KL (k1 from the behaviour and reference log-probs), or null
     * @param klBeta      KL penalty weight (0 when the KL is a loss term instead, or off)
     * @param gamma       discount in [0, 1] (1 by default in OpenRLHF and verl)
     * @param unbiasedStd whitening variance: true = verl {@code masked_whiten}, false = OpenRLHF (population)
     */
    public static Result compute(float[] scores, float[][] mask, float[][] tokenKl, float klBeta, float gamma,
                                 boolean unbiasedStd) {
        float[][] rewards = TokenRewards.perToken(scores, mask, tokenKl, klBeta);
        float[][] returns = discountedReturns(rewards, mask, gamma);
        return new Result(Whitening.whiten(returns, mask, unbiasedStd, true), returns);
    }

    /**
     * REINFORCE++-baseline: scores minus their group mean, then {@link #compute}. Rows are ordered group by group.
     *
     * @param groupSize samples per prompt, G (at least 2)
     */
    public static Result computeWithBaseline(float[] scores, int groupSize, float[][] mask, float[][] tokenKl,
                                             float klBeta, float gamma, boolean unbiasedStd) {
        return compute(GroupAdvantage.meanCentred(scores, groupSize), mask, tokenKl, klBeta, gamma, unbiasedStd);
    }

    static void checkUnit(String name, float value) {
        if (!(value >= 0f && value <= 1f)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + value);
        }
    }
}
