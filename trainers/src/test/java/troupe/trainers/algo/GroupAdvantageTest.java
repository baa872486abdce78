package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GroupAdvantageTest {

    @Test
    void equalRewardsGiveExactZerosWithoutNaN() {
        // eps 0 would make (r - mean) / (0 + 0) = 0/0 = NaN without the explicit zero-std rule.
        float[] rewards = {0.1f, 0.1f, 0.1f, 1f, 1f, 1f};
        float[] a = GroupAdvantage.compute(rewards, 3, 0f, true);
        assertArrayEquals(new float[] {0f, 0f, 0f, 0f, 0f, 0f}, a);
        for (float v : a) {
            assertFalse(Float.isNaN(v));
        }
    }

    @Test
    void oneCorrectOfFourWithUnbiasedStd() {
        // mean = 0.25; squared deviations 0.5625 + 3 * 0.0625 = 0.75; unbiased var = 0.75 / 3 = 0.25, std = 0.5.
        // A = 0.75 / 0.5 = 1.5 and -0.25 / 0.5 = -0.5 (eps = 0).
        float[] a = GroupAdvantage.compute(new float[] {1f, 0f, 0f, 0f}, 4, 0f, true);
        assertArrayEquals(new float[] {1.5f, -0.5f, -0.5f, -0.5f}, a, 1e-6f);
    }

    @Test
    void oneCorrectOfFourWithPopulationStd() {
        // population var = 0.75 / 4 = 0.1875, std = 0.4330127; A = 0.75 / 0.4330127 = 1.7320508 (= sqrt 3),
        // -0.25 / 0.4330127 = -0.5773503 (= -1/sqrt 3).
        float[] a = GroupAdvantage.compute(new float[] {1f, 0f, 0f, 0f}, 4, 0f, false);
        assertArrayEquals(new float[] {1.7320508f, -0.5773503f, -0.5773503f, -0.5773503f}, a, 1e-6f);
    }

    @Test
    void epsIsAddedToTheStd() {
        // unbiased std 0.5, eps 0.5: A = 0.75 / 1.0 = 0.75 and -0.25 / 1.0 = -0.25.
        float[] a = GroupAdvantage.compute(new float[] {1f, 0f, 0f, 0f}, 4, 0.5f, true);
        assertArrayEquals(new float[] {0.75f, -0.25f, -0.25f, -0.25f}, a, 1e-6f);
    }

    @Test
    void groupsAreNormalisedSeparately() {
        // group 0: [2, 0]: mean 1, unbiased std sqrt(2) -> +-0.7071068; group 1: [5, 5] -> zeros.
        float[] a = GroupAdvantage.compute(new float[] {2f, 0f, 5f, 5f}, 2, 0f, true);
        assertArrayEquals(new float[] {0.7071068f, -0.7071068f, 0f, 0f}, a, 1e-6f);
    }

    @Test
    void meanCentredIsDrGrpo() {
        // group [1, 0, 0, 0]: mean 0.25 -> 0.75, -0.25 x3; group [3, 3, 3, 3]: exact zeros
        float[] a = GroupAdvantage.meanCentred(new float[] {1f, 0f, 0f, 0f, 3f, 3f, 3f, 3f}, 4);
        assertArrayEquals(new float[] {0.75f, -0.25f, -0.25f, -0.25f, 0f, 0f, 0f, 0f}, a, 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantage.meanCentred(new float[3], 2));
    }

    @Test
    void zeroStdFractionCountsFlatGroups() {
        // groups [1,1], [0,1], [0,0]: two of three are flat.
        assertEquals(2f / 3f, GroupAdvantage.zeroStdFraction(new float[] {1f, 1f, 0f, 1f, 0f, 0f}, 2), 1e-7f);
        assertEquals(0f, GroupAdvantage.zeroStdFraction(new float[] {1f, 0f}, 2));
    }

    @Test
    void badShapesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantage.compute(new float[5], 2, 1e-6f, true));
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantage.compute(new float[4], 1, 1e-6f, true));
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantage.zeroStdFraction(new float[3], 2));
    }
}
