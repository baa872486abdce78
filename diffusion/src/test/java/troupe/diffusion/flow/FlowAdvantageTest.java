package troupe.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FlowAdvantageTest {

    private static final float EPS = 1e-4f;

    // Two groups of three; the last sample has no reward (invalid, NaN is never read).
    //   group 0: {1, 2, 6}, mean 3
    //   group 1: {0, 0.5, -}, mean 0.25
    private static final float[] REWARDS = {1f, 2f, 6f, 0f, 0.5f, Float.NaN};
    private static final boolean[] VALID = {true, true, true, true, true, false};

    private static void assertAdvantages(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * Math.abs(expected[i]) + 1e-7, "advantage " + i);
        }
    }

    @Test
    void perGroupMeanOverTheGlobalPopulationStd() {
        // All valid rewards {1, 2, 6, 0, 0.5}: mean 9.5 / 5 = 1.9,
        // squared deviations 0.81 + 0.01 + 16.81 + 3.61 + 1.96 = 23.2, std = sqrt(23.2 / 5) = 2.1540659
        double s = Math.sqrt((0.81 + 0.01 + 16.81 + 3.61 + 1.96) / 5) + 1e-4;
        double[] hand = {(1 - 3) / s, (2 - 3) / s, (6 - 3) / s, (0 - 0.25) / s, (0.5 - 0.25) / s, 0};
        assertAdvantages(hand, FlowAdvantage.compute(REWARDS, VALID, 3, true, EPS, 5f));
        assertEquals(-0.9284336, hand[0], 1e-6);
    }

    @Test
    void perGroupStd() {
        // group 0: squared deviations 4 + 1 + 9 = 14, std sqrt(14 / 3) = 2.1602469
        // group 1: valid {0, 0.5}: squared deviations 0.0625 + 0.0625, std sqrt(0.125 / 2) = 0.25
        double s0 = Math.sqrt((4 + 1 + 9) / 3.0) + 1e-4;
        double s1 = Math.sqrt((0.0625 + 0.0625) / 2) + 1e-4;
        double[] hand = {-2 / s0, -1 / s0, 3 / s0, -0.25 / s1, 0.25 / s1, 0};
        assertAdvantages(hand, FlowAdvantage.compute(REWARDS, VALID, 3, false, EPS, 5f));
    }

    @Test
    void advantagesAreClipped() {
        // global: 3 / 2.1541659 = 1.3926 -> 1.2; the others are inside [-1.2, 1.2]
        double s = Math.sqrt(23.2 / 5) + 1e-4;
        assertAdvantages(new double[] {-2 / s, -1 / s, 1.2, -0.25 / s, 0.25 / s, 0},
                FlowAdvantage.compute(REWARDS, VALID, 3, true, EPS, 1.2f));
        // per group: 3 / 2.1603469 = 1.3887 -> 1.2; group 1: -0.25 / 0.2501 = -0.9996 stays
        double s0 = Math.sqrt(14 / 3.0) + 1e-4;
        double s1 = 0.25 + 1e-4;
        assertAdvantages(new double[] {-2 / s0, -1 / s0, 1.2, -0.25 / s1, 0.25 / s1, 0},
                FlowAdvantage.compute(REWARDS, VALID, 3, false, EPS, 1.2f));
        float[] tight = FlowAdvantage.compute(REWARDS, VALID, 3, false, EPS, 0.5f);
        assertArrayEquals(new float[] {-0.5f, -0.4628886f, 0.5f, -0.5f, 0.5f, 0f}, tight, 1e-6f);
    }

    @Test
    void groupsWithoutSignalGetZero() {
        // group 0: one valid sample (no baseline) -> 0, 0; group 1: equal rewards -> 0, 0;
        // group 2: {3, 1}, mean 2. Per-group std 1; global std over {1, 0.5, 0.5, 3, 1}: mean 1.2,
        // squared deviations 0.04 + 0.49 + 0.49 + 3.24 + 0.04 = 4.3, std sqrt(0.86)
        float[] rewards = {1f, Float.NaN, 0.5f, 0.5f, 3f, 1f};
        boolean[] valid = {true, false, true, true, true, true};
        double g = Math.sqrt(4.3 / 5) + 1e-4;
        assertAdvantages(new double[] {0, 0, 0, 0, 1 / g, -1 / g},
                FlowAdvantage.compute(rewards, valid, 2, true, EPS, 5f));
        double p = 1 + 1e-4;
        assertAdvantages(new double[] {0, 0, 0, 0, 1 / p, -1 / p},
                FlowAdvantage.compute(rewards, valid, 2, false, EPS, 5f));
        float[] flat = FlowAdvantage.compute(rewards, valid, 2, false, EPS, 5f);
        assertEquals(0f, flat[2], 0f);
        assertEquals(0f, flat[3], 0f);
    }

    @Test
    void rejectsBadLayouts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlowAdvantage.compute(new float[5], new boolean[5], 3, true, EPS, 5f));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("3"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> FlowAdvantage.compute(new float[6], new boolean[5], 3, true, EPS, 5f));
        assertThrows(IllegalArgumentException.class,
                () -> FlowAdvantage.compute(new float[6], new boolean[6], 1, true, EPS, 5f));
    }
}
