package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class WhiteningTest {

    // Valid values 1, 2, 3 (junk elsewhere): mean 2, squared deviations sum 2.
    private static final float[][] VALUES = {{1f, 2f, 1e30f}, {3f, -1e30f, Float.NaN}};
    private static final float[][] MASK = {{1f, 1f, 0f}, {1f, 0f, 0f}};

    @Test
    void maskedWhiteningUnbiasedAndPopulation() {
        // unbiased var 2/2 = 1 -> (x - 2) / sqrt(1 + 1e-8) = -1, 0, 1
        float[][] u = Whitening.whiten(VALUES, MASK, true, true);
        assertArrayEquals(new float[] {-1f, 0f, 0f}, u[0], 1e-6f);
        assertArrayEquals(new float[] {1f, 0f, 0f}, u[1], 1e-6f);
        // population var 2/3, std 0.8164966 -> -1.2247449, 0, 1.2247449
        float[][] p = Whitening.whiten(VALUES, MASK, false, true);
        assertArrayEquals(new float[] {-1.2247449f, 0f, 0f}, p[0], 1e-5f);
        assertArrayEquals(new float[] {1.2247449f, 0f, 0f}, p[1], 1e-5f);
    }

    @Test
    void withoutShiftTheMeanIsKept() {
        // scale only: (x - 2) / 1 + 2 = x
        float[][] s = Whitening.whiten(VALUES, MASK, true, false);
        assertArrayEquals(new float[] {1f, 2f, 0f}, s[0], 1e-6f);
        assertArrayEquals(new float[] {3f, 0f, 0f}, s[1], 1e-6f);
    }

    @Test
    void rewardWhiteningOverTheBatch() {
        // rewards 2, 4, 6: mean 4, unbiased var (4 + 0 + 4) / 2 = 4, std 2 -> -1, 0, 1; scale only -> 3, 4, 5
        assertArrayEquals(new float[] {-1f, 0f, 1f}, Whitening.whiten(new float[] {2f, 4f, 6f}, true, true), 1e-6f);
        assertArrayEquals(new float[] {3f, 4f, 5f}, Whitening.whiten(new float[] {2f, 4f, 6f}, true, false), 1e-6f);
        // all equal: var 0, (x - mean) / sqrt(1e-8) = 0, not NaN
        assertArrayEquals(new float[] {0f, 0f}, Whitening.whiten(new float[] {5f, 5f}, true, true), 0f);
    }

    @Test
    void tooFewValuesAreRejected() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Whitening.whiten(new float[][] {{1f}}, new float[][] {{0f}}, false, true));
        assertEquals("whitening needs at least one valid (mask 1) value, got none", none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Whitening.whiten(new float[] {1f}, true, true));
        // one value with the population variance: var 0 -> 0
        assertArrayEquals(new float[] {0f}, Whitening.whiten(new float[] {7f}, false, true), 0f);
    }
}
