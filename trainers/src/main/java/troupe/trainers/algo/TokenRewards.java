package troupe.trainers.algo;

/**
 * Rewards with the KL penalty folded in at rollout time (algorithms.md section 0.5 placement (a), sections 2.1,
 * 7.1 and 7.2). The per-token KL comes from the behaviour and reference log-probs (k1 by default) and carries no
 * gradient; it reaches the policy only through the advantages.
 */
public final class TokenRewards {

    private TokenRewards() {
    }

    /**
     * Per-token rewards for REINFORCE++ and PPO:
     * {@code r[i,t] = -beta * kl[i,t]} on every valid token, plus the sequence score on the row's last valid token
     * (section 0.3; verl and OpenRLHF place it there). Mask-0 positions get 0 and a row without valid tokens drops
     * its score (it has no token to credit).
     *
     * @param scores  {@code [B]} outcome score per sequence
     * @param mask    {@code [B][T]} response mask of 0 and 1
     * @param tokenKl {@code [B][T]} per-token KL estimate, or null for no penalty (then {@code klBeta} must be 0)
     * @param klBeta  KL penalty weight, >= 0
     */
    public static float[][] perToken(float[] scores, float[][] mask, float[][] tokenKl, float klBeta) {
        check(scores, mask, tokenKl, klBeta);
        float[][] rewards = new float[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            rewards[i] = new float[mask[i].length];
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f && tokenKl != null) {
                    rewards[i][t] = -klBeta * tokenKl[i][t];
                }
            }
            int last = TokenGrid.lastValid(mask, i);
            if (last >= 0) {
                rewards[i][last] += scores[i];
            }
        }
        return rewards;
    }

    /**
     * Sequence rewards for estimators that work on one scalar per completion (GRPO, Dr. GRPO, RLOO):
     * {@code r_i = score_i - beta * sum_t m[i,t] * kl[i,t]} (section 7.1, TRL RLOO; verl sums its token-level
     * rewards the same way before group normalisation).
     */
    public static float[] perSequence(float[] scores, float[][] mask, float[][] tokenKl, float klBeta) {
        check(scores, mask, tokenKl, klBeta);
        float[] rewards = scores.clone();
        if (tokenKl == null) {
            return rewards;
        }
        for (int i = 0; i < mask.length; i++) {
            double kl = 0;
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f) {
                    kl += tokenKl[i][t];
                }
            }
            rewards[i] = (float) (scores[i] - klBeta * kl);
        }
        return rewards;
    }

    private static void check(float[] scores, float[][] mask, float[][] tokenKl, float klBeta) {
        TokenGrid.checkMask(mask);
        TokenGrid.checkPerSequence("scores", scores, mask.length);
        if (!(klBeta >= 0f) || Float.isInfinite(klBeta)) {
            throw new IllegalArgumentException("klBeta must be a finite number >= 0, got " + klBeta);
        }
        if (tokenKl == null) {
            if (klBeta != 0f) {
                throw new IllegalArgumentException("klBeta = " + klBeta + " needs tokenKl (per-token KL), got null");
            }
            return;
        }
        TokenGrid.checkLike("tokenKl", tokenKl, mask);
    }
}
