package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdvantageEstimatorsTest {

    private static final float J = 1e30f; // junk at mask-0 positions: must never leak into any result

    // Two groups of three completions, rows of different lengths. Group 0 scores [1, 0, 0], group 1 [2, 2, 5].
    private static final float[] SCORES = {1f, 0f, 0f, 2f, 2f, 5f};
    private static final float[][] MASK = {
        {1f, 1f, 0f}, {1f, 0f, 0f}, {1f, 1f, 1f}, {1f, 0f, 0f}, {1f, 1f, 0f}, {0f, 0f, 0f}};
    private static final AdvantageEstimators.Params UNBIASED = new AdvantageEstimators.Params(1f, 1f, 0f, true);
    private static final AdvantageEstimators.Params POPULATION = new AdvantageEstimators.Params(1f, 1f, 0f, false);

    private static AdvantageEstimators.Input sequenceInput() {
        return new AdvantageEstimators.Input(SCORES, 3, MASK, null, 0f, null);
    }

    /** Row {@code i} of {@code a} must be {@code value} on its valid tokens and 0 elsewhere. */
    private static void assertRow(float value, float[][] a, int i) {
        for (int t = 0; t < MASK[i].length; t++) {
            assertEquals(MASK[i][t] != 0f ? value : 0f, a[i][t], 1e-6f, "row " + i + " token " + t);
        }
    }

    @Test
    void grpoWithUnbiasedAndPopulationStd() {
        // group 0: mean 1/3, deviations 2/3, -1/3, -1/3, squares sum 6/9 = 2/3.
        //   unbiased var (2/3)/2 = 1/3, std 0.5773503: A = 1.1547005, -0.5773503, -0.5773503
        //   population var (2/3)/3 = 2/9, std 0.4714045: A = 1.4142136, -0.7071068, -0.7071068
        // group 1: mean 3, deviations -1, -1, 2, squares sum 6.
        //   unbiased var 3, std 1.7320508: A = -0.5773503, -0.5773503, 1.1547005
        //   population var 2, std 1.4142136: A = -0.7071068, -0.7071068, 1.4142136
        float[][] u = AdvantageEstimators.byName("grpo").estimate(sequenceInput(), UNBIASED).advantages();
        float[] expectedU = {1.1547005f, -0.5773503f, -0.5773503f, -0.5773503f, -0.5773503f, 1.1547005f};
        float[][] p = AdvantageEstimators.byName("grpo").estimate(sequenceInput(), POPULATION).advantages();
        float[] expectedP = {1.4142136f, -0.7071068f, -0.7071068f, -0.7071068f, -0.7071068f, 1.4142136f};
        for (int i = 0; i < 6; i++) {
            assertRow(expectedU[i], u, i);
            assertRow(expectedP[i], p, i);
        }
    }

    @Test
    void grpoAddsStdEps() {
        // group 0 unbiased std 0.5773503 + eps 0.4226497 = 1: A = 2/3, -1/3, -1/3
        AdvantageEstimators.Params eps = new AdvantageEstimators.Params(1f, 1f, 0.4226497f, true);
        float[][] a = AdvantageEstimators.byName("grpo").estimate(sequenceInput(), eps).advantages();
        assertRow(0.6666667f, a, 0);
        assertRow(-0.3333333f, a, 1);
    }

    @Test
    void drGrpoOnlyCentres() {
        // group 0: 1 - 1/3 = 2/3, -1/3, -1/3; group 1: 2 - 3 = -1, -1, 5 - 3 = 2
        float[][] a = AdvantageEstimators.byName("dr_grpo").estimate(sequenceInput(), UNBIASED).advantages();
        float[] expected = {0.6666667f, -0.3333333f, -0.3333333f, -1f, -1f, 2f};
        for (int i = 0; i < 6; i++) {
            assertRow(expected[i], a, i);
        }
    }

    @Test
    void rlooUsesTheMeanOfTheOthers() {
        // group 0: 1 - (0+0)/2 = 1; 0 - (1+0)/2 = -0.5 (twice)
        // group 1: 2 - (2+5)/2 = -1.5 (twice); 5 - (2+2)/2 = 3. Check: (G/(G-1)) (r - mean) = 1.5 * 2 = 3.
        float[][] a = AdvantageEstimators.byName("rloo").estimate(sequenceInput(), UNBIASED).advantages();
        float[] expected = {1f, -0.5f, -0.5f, -1.5f, -1.5f, 3f};
        for (int i = 0; i < 6; i++) {
            assertRow(expected[i], a, i);
        }
        assertArrayEquals(expected, LeaveOneOutAdvantage.compute(SCORES, 3), 1e-6f);
    }

    @Test
    void sequenceEstimatorsFoldTheKlPenaltyIntoTheReward() {
        // One group of two. beta 0.5; valid KL sums: row 0: 0.2 + 0.4 = 0.6, row 1: 1.0 (junk is masked).
        // r = [1 - 0.3, 0 - 0.5] = [0.7, -0.5]; mean 0.1; Dr. GRPO A = [0.6, -0.6]
        float[][] mask = {{1f, 1f, 0f}, {1f, 0f, 0f}};
        float[][] kl = {{0.2f, 0.4f, J}, {1f, J, -J}};
        AdvantageEstimators.Input in = new AdvantageEstimators.Input(new float[] {1f, 0f}, 2, mask, kl, 0.5f, null);
        AdvantageEstimators.Advantages a = AdvantageEstimators.byName("dr_grpo").estimate(in, UNBIASED);
        assertArrayEquals(new float[] {0.6f, 0.6f, 0f}, a.advantages()[0], 1e-6f);
        assertArrayEquals(new float[] {-0.6f, 0f, 0f}, a.advantages()[1], 1e-6f);
        assertArrayEquals(a.advantages()[0], a.returns()[0]); // no value target: returns repeat the advantages
    }

    // REINFORCE++ batch: two rows, beta 0.1, gamma 1.
    //   token rewards row 0: -0.1 * [0.1, 0.2, 0.3] + score 1 on the last token = [-0.01, -0.02, 0.97]
    //                 row 1: -0.1 * [0.5, -0.5] + score 0 = [-0.05, 0.05], third position masked
    //   returns-to-go row 0: 0.97, -0.02 + 0.97 = 0.95, -0.01 + 0.95 = 0.94 -> [0.94, 0.95, 0.97]
    //                 row 1: 0.05, -0.05 + 0.05 = 0 -> [0, 0.05]
    //   whitening over the 5 valid tokens: mean 2.91 / 5 = 0.582; squared deviations sum 1.03588
    //     unbiased var 0.25897, std 0.5088910: A = 0.7034906, 0.7231412, 0.7624423, -1.1436635, -1.0454106
    //     population var 0.207176, std 0.4551659: A = 0.7865264, 0.8084964, 0.8524364, -1.2786546, -1.1688046
    private static final float[][] RPP_MASK = {{1f, 1f, 1f}, {1f, 1f, 0f}};
    private static final float[][] RPP_KL = {{0.1f, 0.2f, 0.3f}, {0.5f, -0.5f, J}};

    @Test
    void reinforcePlusPlusWhitensDiscountedReturnsOverTheBatch() {
        AdvantageEstimators.Input in =
                new AdvantageEstimators.Input(new float[] {1f, 0f}, 1, RPP_MASK, RPP_KL, 0.1f, null);
        AdvantageEstimators.Advantages u = AdvantageEstimators.byName("reinforce_pp").estimate(in, UNBIASED);
        assertArrayEquals(new float[] {0.94f, 0.95f, 0.97f}, u.returns()[0], 1e-6f);
        assertArrayEquals(new float[] {0f, 0.05f, 0f}, u.returns()[1], 1e-6f);
        assertArrayEquals(new float[] {0.7034906f, 0.7231412f, 0.7624423f}, u.advantages()[0], 1e-5f);
        assertArrayEquals(new float[] {-1.1436635f, -1.0454106f, 0f}, u.advantages()[1], 1e-5f);
        AdvantageEstimators.Advantages p = AdvantageEstimators.byName("reinforce_pp").estimate(in, POPULATION);
        assertArrayEquals(new float[] {0.7865264f, 0.8084964f, 0.8524364f}, p.advantages()[0], 1e-5f);
        assertArrayEquals(new float[] {-1.2786546f, -1.1688046f, 0f}, p.advantages()[1], 1e-5f);
    }

    @Test
    void discountedReturnsWithGammaAndAnObservationHole() {
        // gamma 0.5, row [-0.01, -0.02, 0.97]: 0.97; -0.02 + 0.485 = 0.465; -0.01 + 0.2325 = 0.2225
        float[][] rewards = {{-0.01f, -0.02f, 0.97f}};
        assertArrayEquals(new float[] {0.2225f, 0.465f, 0.97f},
                ReinforcePlusPlusAdvantage.discountedReturns(rewards, new float[][] {{1f, 1f, 1f}}, 0.5f)[0], 1e-6f);
        // a mask-0 token in the middle is skipped and the return carried across it: [1 + 2, 0, 2]
        assertArrayEquals(new float[] {3f, 0f, 2f}, ReinforcePlusPlusAdvantage.discountedReturns(
                new float[][] {{1f, J, 2f}}, new float[][] {{1f, 0f, 1f}}, 1f)[0], 0f);
    }

    @Test
    void reinforcePlusPlusBaselineSubtractsTheGroupMeanFirst() {
        // one group of two, scores [1, 0] -> [0.5, -0.5]; no KL, gamma 1; rows of length 2 and 1
        // returns: row 0 [0.5, 0.5], row 1 [-0.5]; mean 1/6, deviations 1/3, 1/3, -2/3, squares sum 2/3
        //   unbiased var 1/3, std 0.5773503: A = 0.5773503, 0.5773503, -1.1547005
        float[][] mask = {{1f, 1f}, {1f, 0f}};
        AdvantageEstimators.Input in = new AdvantageEstimators.Input(new float[] {1f, 0f}, 2, mask, null, 0f, null);
        AdvantageEstimators.Advantages a = AdvantageEstimators.byName("reinforce_pp_baseline").estimate(in, UNBIASED);
        assertArrayEquals(new float[] {0.5f, 0.5f}, a.returns()[0], 1e-6f);
        assertArrayEquals(new float[] {0.5773503f, 0.5773503f}, a.advantages()[0], 1e-5f);
        assertArrayEquals(new float[] {-1.1547005f, 0f}, a.advantages()[1], 1e-5f);
    }

    @Test
    void gaeByHand() {
        float[][] rewards = {{0f, 0f, 1f, J}};
        float[][] values = {{0.5f, 0.6f, 0.7f, J}};
        float[][] mask = {{1f, 1f, 1f, 0f}};
        // gamma = lambda = 1: delta2 = 1 - 0.7 = 0.3, delta1 = 0.7 - 0.6 = 0.1, delta0 = 0.6 - 0.5 = 0.1
        //   A = [0.1 + 0.4, 0.1 + 0.3, 0.3] = [0.5, 0.4, 0.3]; returns A + V = [1, 1, 1]
        GaeAdvantage.Result one = GaeAdvantage.compute(rewards, values, mask, 1f, 1f);
        assertArrayEquals(new float[] {0.5f, 0.4f, 0.3f, 0f}, one.advantages()[0], 1e-6f);
        assertArrayEquals(new float[] {1f, 1f, 1f, 0f}, one.returns()[0], 1e-6f);
        // gamma 0.9, lambda 0.5 (gamma * lambda = 0.45):
        //   delta2 = 1 - 0.7 = 0.3; delta1 = 0.9 * 0.7 - 0.6 = 0.03; delta0 = 0.9 * 0.6 - 0.5 = 0.04
        //   A2 = 0.3; A1 = 0.03 + 0.45 * 0.3 = 0.165; A0 = 0.04 + 0.45 * 0.165 = 0.11425
        //   returns = [0.61425, 0.765, 1.0]
        GaeAdvantage.Result g = GaeAdvantage.compute(rewards, values, mask, 0.9f, 0.5f);
        assertArrayEquals(new float[] {0.11425f, 0.165f, 0.3f, 0f}, g.advantages()[0], 1e-6f);
        assertArrayEquals(new float[] {0.61425f, 0.765f, 1f, 0f}, g.returns()[0], 1e-6f);
    }

    @Test
    void gaeSkipsObservationTokens() {
        // mask [1, 0, 1]: t2: delta = 1 - 0.7 = 0.3; t1 skipped; t0: delta = 0 + 0.7 - 0.5 = 0.2, A0 = 0.5
        GaeAdvantage.Result r = GaeAdvantage.compute(new float[][] {{0f, J, 1f}}, new float[][] {{0.5f, -J, 0.7f}},
                new float[][] {{1f, 0f, 1f}}, 1f, 1f);
        assertArrayEquals(new float[] {0.5f, 0f, 0.3f}, r.advantages()[0], 1e-6f);
        assertArrayEquals(new float[] {1f, 0f, 1f}, r.returns()[0], 1e-6f);
    }

    @Test
    void gaeEntryPlacesTheScoreAndWhitensTheAdvantages() {
        // score 1 lands on the last valid token (t2), so the token rewards are those of gaeByHand.
        // gamma 0.9, lambda 0.5: raw A = [0.11425, 0.165, 0.3], mean 0.19308333, unbiased std 0.0965203...
        //   whitened = [-0.8211235, -0.2925144, 1.1136379]; returns stay raw A + V = [0.61425, 0.765, 1.0]
        AdvantageEstimators.Input in = new AdvantageEstimators.Input(new float[] {1f}, 1,
                new float[][] {{1f, 1f, 1f, 0f}}, null, 0f, new float[][] {{0.5f, 0.6f, 0.7f, J}});
        AdvantageEstimators.Advantages a = AdvantageEstimators.byName("gae")
                .estimate(in, new AdvantageEstimators.Params(0.9f, 0.5f, 0f, true));
        assertArrayEquals(new float[] {-0.8211235f, -0.2925144f, 1.1136379f, 0f}, a.advantages()[0], 1e-5f);
        assertArrayEquals(new float[] {0.61425f, 0.765f, 1f, 0f}, a.returns()[0], 1e-6f);
    }

    @Test
    void gaeNeedsValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdvantageEstimators.byName("gae").estimate(sequenceInput(), UNBIASED));
        assertTrue(e.getMessage().contains("values"), e.getMessage());
    }

    @Test
    void gammaAndLambdaOutsideTheUnitIntervalAreRejected() {
        IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                () -> new AdvantageEstimators.Params(1.5f, 1f, 0f, true));
        assertEquals("gamma must be in [0, 1], got 1.5", g.getMessage());
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class,
                () -> new AdvantageEstimators.Params(1f, -0.1f, 0f, true));
        assertEquals("lambda must be in [0, 1], got -0.1", l.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdvantageEstimators.Params(1f, Float.NaN, 0f, true));
        IllegalArgumentException direct = assertThrows(IllegalArgumentException.class,
                () -> GaeAdvantage.compute(new float[][] {{1f}}, new float[][] {{0f}}, new float[][] {{1f}}, 1f, 2f));
        assertTrue(direct.getMessage().startsWith("lambda"), direct.getMessage());
    }

    @Test
    void badInputsAreRejectedWithTheArgumentNamed() {
        AdvantageEstimators.Estimator grpo = AdvantageEstimators.byName("grpo");
        // 6 rows are not groups of 4
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> grpo.estimate(new AdvantageEstimators.Input(SCORES, 4, MASK, null, 0f, null), UNBIASED));
        assertTrue(shape.getMessage().contains("groupSize"), shape.getMessage());
        // a KL weight without a KL
        IllegalArgumentException kl = assertThrows(IllegalArgumentException.class,
                () -> grpo.estimate(new AdvantageEstimators.Input(SCORES, 3, MASK, null, 0.1f, null), UNBIASED));
        assertTrue(kl.getMessage().contains("tokenKl"), kl.getMessage());
        // a mask that is not 0/1
        float[][] badMask = {{1f, 0.5f}};
        IllegalArgumentException mask = assertThrows(IllegalArgumentException.class,
                () -> AdvantageEstimators.byName("reinforce_pp").estimate(
                        new AdvantageEstimators.Input(new float[] {1f}, 1, badMask, null, 0f, null), UNBIASED));
        assertEquals("mask[0][1] must be 0 or 1, got 0.5", mask.getMessage());
        // a NaN score
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> grpo.estimate(
                new AdvantageEstimators.Input(new float[] {1f, Float.NaN}, 2, new float[][] {{1f}, {1f}}, null, 0f,
                        null), UNBIASED));
        assertTrue(nan.getMessage().startsWith("scores[1]"), nan.getMessage());
        // junk is fine where the mask is 0, but not where it is 1
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class, () -> GaeAdvantage.compute(
                new float[][] {{0f}}, new float[][] {{Float.POSITIVE_INFINITY}}, new float[][] {{1f}}, 1f, 1f));
        assertTrue(value.getMessage().startsWith("values[0][0]"), value.getMessage());
    }

    @Test
    void namesAndUnknownNames() {
        assertEquals(List.of("grpo", "dr_grpo", "rloo", "reinforce_pp", "reinforce_pp_baseline", "gae"),
                AdvantageEstimators.names());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> AdvantageEstimators.byName("ppo"));
        assertEquals("unknown advantage estimator \"ppo\"; allowed: grpo, dr_grpo, rloo, reinforce_pp, "
                + "reinforce_pp_baseline, gae", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AdvantageEstimators.byName(null));
    }
}
