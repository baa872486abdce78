package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainedVarianceTest {

    private static final float J = 1e30f;

    // Valid R = [1, 2, 3, 4]: mean 2.5, Var = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
    // V = [1, 2, 3, 5]: R - V = [0, 0, 0, -1], mean -0.25, Var = (3 * 0.0625 + 0.5625) / 4 = 0.1875.
    // EV = 1 - 0.1875 / 1.25 = 0.85.
    private static final float[][] R = {{1f, 2f, J}, {3f, 4f, -J}};
    private static final float[][] V = {{1f, 2f, -J}, {3f, 5f, Float.NaN}};
    private static final float[][] MASK = {{1f, 1f, 0f}, {1f, 1f, 0f}};

    @Test
    void handValueWithJunkAtMaskedPositions() {
        assertEquals(0.85f, ExplainedVariance.of(R, V, MASK), 1e-6f);
    }

    @Test
    void perfectConstantAndWorseCritics() {
        float[][] r = {{1f, 2f}, {3f, 4f}};
        float[][] mask = {{1f, 1f}, {1f, 1f}};
        assertEquals(1f, ExplainedVariance.of(r, r, mask), 0f);
        // a constant prediction explains nothing, whatever the constant: Var(R - c) = Var(R)
        assertEquals(0f, ExplainedVariance.of(r, new float[][] {{2.5f, 2.5f}, {2.5f, 2.5f}}, mask), 1e-6f);
        assertEquals(0f, ExplainedVariance.of(r, new float[][] {{-7f, -7f}, {-7f, -7f}}, mask), 1e-6f);
        // V = -R: R - V = 2R, Var = 4 Var(R): EV = 1 - 4 = -3
        assertEquals(-3f, ExplainedVariance.of(r, new float[][] {{-1f, -2f}, {-3f, -4f}}, mask), 1e-6f);
    }

    /** Var(R) = 0 makes the ratio undefined: 0, never NaN or infinity. */
    @Test
    void zeroReturnVarianceGivesZero() {
        assertEquals(0f, ExplainedVariance.of(new float[][] {{0.1f, 0.1f, 0.1f}}, new float[][] {{0f, 1f, 2f}},
                new float[][] {{1f, 1f, 1f}}));
        assertEquals(0f, ExplainedVariance.of(new float[][] {{5f, 6f}}, new float[][] {{1f, 0f}},
                new float[][] {{1f, 0f}}), "a single valid token");
        assertEquals(0f, ExplainedVariance.of(new float[][] {{5f}}, new float[][] {{1f}}, new float[][] {{0f}}),
                "no valid token");
        assertEquals(0f, ExplainedVariance.of(List.of(), List.of()));
    }

    @Test
    void anotherHandValueInRows() {
        List<float[]> returns = List.of(new float[] {1f, 2f}, new float[] {3f});
        // residuals -0.5, 0.5, 0 -> Var 1/6; Var(R) = 2/3 -> EV = 1 - 0.25 = 0.75
        List<float[]> values = List.of(new float[] {1.5f, 1.5f}, new float[] {3f});
        assertEquals(0.75, ExplainedVariance.of(returns, values), 1e-9);
        assertEquals(1.0, ExplainedVariance.of(returns, returns), 1e-12);
        assertEquals(0.0, ExplainedVariance.of(returns, List.of(new float[] {2f, 2f}, new float[] {2f})), 1e-9);
    }

    @Test
    void rowsFormMatchesTheGrid() {
        List<float[]> r = List.of(new float[] {1f, 2f}, new float[] {}, new float[] {3f, 4f});
        List<float[]> v = List.of(new float[] {1f, 2f}, new float[] {}, new float[] {3f, 5f});
        assertEquals(0.85f, ExplainedVariance.of(r, v), 1e-6f);
    }

    @Test
    void mismatchedRowsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExplainedVariance.of(List.of(new float[] {1f, 2f}), List.of(new float[] {1f})));
        assertEquals("row 0 has 2 returns but 1 values", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ExplainedVariance.of(new float[][] {{1f, Float.NaN}}, new float[][] {{1f, 1f}},
                        new float[][] {{1f, 1f}}));
        assertTrue(e.getMessage().contains("returns[0][1] = NaN"), e.getMessage());
    }
}
