package troupe.trainers.algo;

/**
 * Generalized advantage estimation, GAE(gamma, lambda) (Schulman et al. 2015; algorithms.md section 2.2), for PPO
 * with a critic:
 * <pre>
 *   delta_t = r_t + gamma * V_{t+1} - V_t       (V after the last valid token = 0: the episode ends at EOS)
 *   A_t     = delta_t + gamma * lambda * A_{t+1} (right to left)
 *   R_t     = A_t + V_t                          (value target, the lambda-return)
 * </pre>
 * A mask-0 position inside a row (an observation token) is skipped: the next value and the running advantage are
 * carried across it, as verl's {@code compute_gae_advantage_return} does; for plain right padding this equals the
 * TRL/OpenRLHF form that zeroes rewards and values past the end. Mask-0 positions get 0 in both outputs, and their
 * rewards and values are never read.
 *
 * <p>The advantages returned by {@link #compute} are raw; PPO whitens them once over the whole rollout batch
 * ({@link Whitening}, section 2.2 and pitfall 2.6.2), which the {@code gae} entry of {@link AdvantageEstimators}
 * does.
 */
public final class GaeAdvantage {

    private GaeAdvantage() {
    }

    /** Raw advantages and value targets, both {@code [B][T]}. */
    public record Result(float[][] advantages, float[][] returns) {
    }

    /**
     * @param tokenRewards {@code [B][T]} per-token rewards (score on the last token, KL penalty on every token:
     *                     {@link TokenRewards#perToken})
     * @param values       {@code [B][T]} critic values at rollout time ({@code values_old}, no gradient)
     * @param mask         {@code [B][T]} response mask
     * @param gamma        discount in [0, 1] (TRL, verl and OpenRLHF default 1.0)
     * @param lambda       GAE lambda in [0, 1] (TRL 0.95, verl and OpenRLHF 1.0)
     */
    public static Result compute(float[][] tokenRewards, float[][] values, float[][] mask, float gamma,
                                 float lambda) {
        TokenGrid.checkMask(mask);
        TokenGrid.checkLike("tokenRewards", tokenRewards, mask);
        TokenGrid.checkLike("values", values, mask);
        ReinforcePlusPlusAdvantage.checkUnit("gamma", gamma);
        ReinforcePlusPlusAdvantage.checkUnit("lambda", lambda);
        float[][] advantages = new float[mask.length][];
        float[][] returns = new float[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            advantages[i] = new float[mask[i].length];
            returns[i] = new float[mask[i].length];
            double nextValue = 0;
            double running = 0;
            for (int t = mask[i].length - 1; t >= 0; t--) {
                if (mask[i][t] == 0f) {
                    continue;
                }
                double delta = tokenRewards[i][t] + gamma * nextValue - values[i][t];
                running = delta + gamma * lambda * running;
                advantages[i][t] = (float) running;
                returns[i][t] = (float) (running + values[i][t]);
                nextValue = values[i][t];
            }
        }
        return new Result(advantages, returns);
    }
}
