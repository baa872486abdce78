package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TokenRewardsTest {

    private static final float[][] MASK = {{1f, 1f, 0f}, {1f, 0f, 0f}, {0f, 0f, 0f}};
    private static final float[][] KL = {{0.2f, -0.4f, 1e30f}, {1f, 1e30f, 1e30f}, {1e30f, 1e30f, 1e30f}};

    @Test
    void scoreOnTheLastValidTokenAndKlOnEveryValidToken() {
        // beta 0.5: row 0: [-0.1, 0.2 + 3] = [-0.1, 3.2]; row 1: [-0.5 - 2] = [-2.5]; row 2 has no valid token
        float[][] r = TokenRewards.perToken(new float[] {3f, -2f, 9f}, MASK, KL, 0.5f);
        assertArrayEquals(new float[] {-0.1f, 3.2f, 0f}, r[0], 1e-6f);
        assertArrayEquals(new float[] {-2.5f, 0f, 0f}, r[1], 1e-6f);
        assertArrayEquals(new float[] {0f, 0f, 0f}, r[2], 0f);
        // no KL: only the scores
        float[][] plain = TokenRewards.perToken(new float[] {3f, -2f, 9f}, MASK, null, 0f);
        assertArrayEquals(new float[] {0f, 3f, 0f}, plain[0], 0f);
    }

    @Test
    void sequenceRewardSubtractsTheSummedKl() {
        // row 0: 3 - 0.5 * (0.2 - 0.4) = 3.1; row 1: -2 - 0.5 * 1 = -2.5; row 2: 9 (no valid KL)
        assertArrayEquals(new float[] {3.1f, -2.5f, 9f},
                TokenRewards.perSequence(new float[] {3f, -2f, 9f}, MASK, KL, 0.5f), 1e-6f);
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class,
                () -> TokenRewards.perToken(new float[] {1f, 2f}, MASK, null, 0f));          // 2 scores, 3 rows
        assertThrows(IllegalArgumentException.class,
                () -> TokenRewards.perToken(new float[] {1f, 2f, 3f}, MASK, KL, -0.1f));      // negative beta
        assertThrows(IllegalArgumentException.class,
                () -> TokenRewards.perToken(new float[] {1f, 2f, 3f}, MASK, new float[][] {{0f}}, 0.1f));
    }
}
