package troupe.trainers.algo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Advantage estimators by name (verl {@code adv_estimator}; algorithms.md sections 2.2, 4.3, 4.7, 7.1, 7.2).
 * All take the same {@link Input} and {@link Params} and return per-token advantages and returns:
 * <ul>
 *   <li>{@code grpo}: {@code (r_i - mean_g) / (std_g + stdEps)}, std unbiased or population ({@link GroupAdvantage});
 *   <li>{@code dr_grpo}: {@code r_i - mean_g}, no std ({@link GroupAdvantage#meanCentred});
 *   <li>{@code rloo}: {@code r_i - mean of the other G-1} ({@link LeaveOneOutAdvantage});
 *   <li>{@code reinforce_pp}: discounted return of the KL-shaped token rewards, whitened over the whole batch
 *       ({@link ReinforcePlusPlusAdvantage});
 *   <li>{@code reinforce_pp_baseline}: the same after subtracting the group mean of the scores;
 *   <li>{@code gae}: GAE(gamma, lambda) with critic values, whitened over the whole batch ({@link GaeAdvantage}).
 * </ul>
 * The sequence-level estimators ({@code grpo}, {@code dr_grpo}, {@code rloo}) fold a KL penalty into the sequence
 * reward as {@code score_i - beta * sum_t kl_t} and broadcast the advantage to every valid token; they have no value
 * target, so their {@code returns} repeat the advantages (as verl's do).
 */
public final class AdvantageEstimators {

    /**
     * Hyper-parameters; each estimator reads only the ones it uses.
     *
     * @param gamma       discount in [0, 1] ({@code reinforce_pp*}, {@code gae})
     * @param lambda      GAE lambda in [0, 1] ({@code gae})
     * @param stdEps      added to the group std ({@code grpo}: TRL 1e-4, verl 1e-6, OpenRLHF 1e-9; section 4.3)
     * @param unbiasedStd Bessel correction of whichever std the estimator divides by: the group std of
     *                    {@code grpo} (TRL, verl, OpenRLHF: true; flow_grpo: false) and the batch whitening of
     *                    {@code reinforce_pp*} and {@code gae} (verl: true; OpenRLHF: false)
     */
    public record Params(float gamma, float lambda, float stdEps, boolean unbiasedStd) {
        public Params {
            ReinforcePlusPlusAdvantage.checkUnit("gamma", gamma);
            ReinforcePlusPlusAdvantage.checkUnit("lambda", lambda);
            if (!(stdEps >= 0f) || Float.isInfinite(stdEps)) {
                throw new IllegalArgumentException("stdEps must be a finite number >= 0, got " + stdEps);
            }
        }
    }

    /**
     * One rollout batch. Rows are ordered group by group (rows {@code g*G .. g*G+G-1} share a prompt).
     *
     * @param scores    {@code [B]} outcome score per completion (rule or reward-model score, shaping included)
     * @param groupSize samples per prompt, G; at least 2 for the group estimators, ignored by {@code reinforce_pp}
     *                  and {@code gae}
     * @param mask      {@code [B][T]} response mask of 0 and 1
     * @param tokenKl   {@code [B][T]} per-token KL for a reward penalty (section 0.5 placement (a)), or null
     * @param klBeta    weight of that penalty; must be 0 when {@code tokenKl} is null
     * @param values    {@code [B][T]} critic values at rollout time; required by {@code gae}, else may be null
     */
    public record Input(float[] scores, int groupSize, float[][] mask, float[][] tokenKl, float klBeta,
                        float[][] values) {
    }

    /**
     * @param advantages {@code [B][T]}, 0 at mask-0 positions
     * @param returns    {@code [B][T]} value targets ({@code gae}), discounted returns ({@code reinforce_pp*}), or
     *                   the advantages again (sequence-level estimators); 0 at mask-0 positions
     */
    public record Advantages(float[][] advantages, float[][] returns) {
    }

    /** One estimator: pure, reads its input, returns new arrays. */
    @FunctionalInterface
    public interface Estimator {
        Advantages estimate(Input input, Params params);
    }

    private static final Registry<Estimator> REGISTRY = new Registry<>("advantage estimator", entries());

    private AdvantageEstimators() {
    }

    /** The allowed names, in a fixed order. */
    public static List<String> names() {
        return REGISTRY.names();
    }

    /** The estimator called {@code name}; an unknown name fails with the list of allowed names. */
    public static Estimator byName(String name) {
        return REGISTRY.get(name);
    }

    private static Map<String, Estimator> entries() {
        Map<String, Estimator> m = new LinkedHashMap<>();
        m.put("grpo", (in, p) -> sequenceLevel(in,
                GroupAdvantage.compute(sequenceRewards(in), in.groupSize(), p.stdEps(), p.unbiasedStd())));
        m.put("dr_grpo", (in, p) -> sequenceLevel(in, GroupAdvantage.meanCentred(sequenceRewards(in), in.groupSize())));
        m.put("rloo", (in, p) -> sequenceLevel(in, LeaveOneOutAdvantage.compute(sequenceRewards(in), in.groupSize())));
        m.put("reinforce_pp", (in, p) -> {
            checkInput(in);
            ReinforcePlusPlusAdvantage.Result r = ReinforcePlusPlusAdvantage.compute(in.scores(), in.mask(),
                    in.tokenKl(), in.klBeta(), p.gamma(), p.unbiasedStd());
            return new Advantages(r.advantages(), r.returns());
        });
        m.put("reinforce_pp_baseline", (in, p) -> {
            checkInput(in);
            ReinforcePlusPlusAdvantage.Result r = ReinforcePlusPlusAdvantage.computeWithBaseline(in.scores(),
                    in.groupSize(), in.mask(), in.tokenKl(), in.klBeta(), p.gamma(), p.unbiasedStd());
            return new Advantages(r.advantages(), r.returns());
        });
        m.put("gae", (in, p) -> {
            checkInput(in);
            if (in.values() == null) {
                throw new IllegalArgumentException("advantage estimator gae needs critic values, got values = null");
            }
            float[][] rewards = TokenRewards.perToken(in.scores(), in.mask(), in.tokenKl(), in.klBeta());
            GaeAdvantage.Result r = GaeAdvantage.compute(rewards, in.values(), in.mask(), p.gamma(), p.lambda());
            // Whitened once over the whole rollout batch; the value targets keep the raw advantages (section 2.2).
            return new Advantages(Whitening.whiten(r.advantages(), in.mask(), p.unbiasedStd(), true), r.returns());
        });
        return m;
    }

    private static float[] sequenceRewards(Input in) {
        checkInput(in);
        return TokenRewards.perSequence(in.scores(), in.mask(), in.tokenKl(), in.klBeta());
    }

    private static Advantages sequenceLevel(Input in, float[] perSequence) {
        // Two separate arrays, so a caller that edits one does not edit the other.
        return new Advantages(TokenGrid.broadcast(perSequence, in.mask()), TokenGrid.broadcast(perSequence, in.mask()));
    }

    private static void checkInput(Input in) {
        if (in == null) {
            throw new IllegalArgumentException("input must not be null");
        }
    }
}
