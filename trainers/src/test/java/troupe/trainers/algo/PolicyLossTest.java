package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class PolicyLossTest {

    /** Log-probs whose ratio to old log-probs of 0 is the given ratio. */
    static float[][] logOf(float... ratios) {
        float[] row = new float[ratios.length];
        for (int i = 0; i < ratios.length; i++) {
            row[i] = (float) Math.log(ratios[i]);
        }
        return new float[][] {row};
    }

    // Five tokens, clipLow = clipHigh = 0.2 (band [0.8, 1.2]):
    //   t0: A= 2, ratio 1.5: -A*r = -3.0, -A*clip = -2.4 -> max -2.4, clipped (A>0 above the band)
    //   t1: A=-1, ratio 0.5: -A*r =  0.5, -A*clip =  0.8 -> max  0.8, clipped (A<0 below the band)
    //   t2: A= 1, ratio 1.1: -A*r = -1.1, -A*clip = -1.1 -> max -1.1, not clipped (inside the band)
    //   t3: A= 1, ratio 0.5: -A*r = -0.5, -A*clip = -0.8 -> max -0.5, not clipped (A>0 below: unclipped is larger)
    //   t4: A=-1, ratio 1.5: -A*r =  1.5, -A*clip =  1.2 -> max  1.5, not clipped (A<0 above: unclipped is larger)
    static final float[] RATIOS = {1.5f, 0.5f, 1.1f, 0.5f, 1.5f};
    static final float[][] ADVANTAGES = {{2f, -1f, 1f, 1f, -1f}};

    /** The PPO-clip loss with every position valid, clip band [1 - low, 1 + high], log-ratio clamp 20. */
    static PolicyLoss.Result clipped(NDArray lp, NDArray old, NDArray adv, float low, float high) {
        return PolicyLoss.compute(lp, old, adv, lp.onesLike(), PolicyLoss.ClipParams.of(low, high));
    }

    @Test
    void clipsOnBothSidesOnlyWhereTheClippedBranchIsLarger() {
        try (NDManager m = NDManager.newBaseManager()) {
            PolicyLoss.Result c = clipped(m.create(logOf(RATIOS)), m.zeros(new Shape(1, 5)),
                    m.create(ADVANTAGES), 0.2f, 0.2f);
            assertArrayEquals(new float[] {-2.4f, 0.8f, -1.1f, -0.5f, 1.5f}, c.loss().toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {0f, 1f, 0f, 0f, 0f}, c.lowClipped().toFloatArray(), 0f);
            assertArrayEquals(new float[] {1f, 0f, 0f, 0f, 0f}, c.highClipped().toFloatArray(), 0f);
            assertArrayEquals(RATIOS, c.ratio().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void clipHigherWidensOnlyTheUpperSide() {
        try (NDManager m = NDManager.newBaseManager()) {
            // clipHigh 0.6: band [0.8, 1.6]; t0 (ratio 1.5, A=2) is now inside: -2 * 1.5 = -3.0, not clipped.
            PolicyLoss.Result c = clipped(m.create(logOf(RATIOS)), m.zeros(new Shape(1, 5)),
                    m.create(ADVANTAGES), 0.2f, 0.6f);
            assertArrayEquals(new float[] {-3.0f, 0.8f, -1.1f, -0.5f, 1.5f}, c.loss().toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {0f, 1f, 0f, 0f, 0f}, c.lowClipped().toFloatArray(), 0f);
            assertArrayEquals(new float[] {0f, 0f, 0f, 0f, 0f}, c.highClipped().toFloatArray(), 0f);
        }
    }

    @Test
    void rowAdvantagesBroadcastOverTokensInBothShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            // Two rows, three tokens, ratio 1 everywhere: pg = -A on every token of the row.
            NDArray lp = m.create(new float[][] {{-1f, -2f, -3f}, {-1f, -2f, -3f}});
            NDArray old = lp.duplicate();
            float[] expected = {-2f, -2f, -2f, 3f, 3f, 3f};
            NDArray column = m.create(new float[][] {{2f}, {-3f}});
            NDArray flat = m.create(new float[] {2f, -3f});
            assertArrayEquals(expected, clipped(lp, old, column, 0.2f, 0.2f).loss().toFloatArray());
            // a [B] vector must not be broadcast along T (with B == T it would silently be wrong)
            NDArray square = m.create(new float[][] {{-1f, -2f}, {-1f, -2f}});
            assertArrayEquals(new float[] {-2f, -2f, 3f, 3f},
                    clipped(square, square.duplicate(), flat, 0.2f, 0.2f).loss().toFloatArray());
        }
    }

    @Test
    void hugeLogRatioIsClampedBeforeExp() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[][] {{100f, -100f}});
            NDArray old = m.zeros(new Shape(1, 2));
            float[] ratio = clipped(lp, old, m.create(new float[][] {{1f}}), 0.2f, 0.2f)
                    .ratio().toFloatArray();
            // exp(20) = 4.85165195e8, exp(-20) = 2.06115362e-9 (exp(100) would overflow float32 to infinity)
            assertEquals(4.85165195e8f, ratio[0], 4.85165195e8f * 1e-6f);
            assertEquals(2.06115362e-9f, ratio[1], 2.06115362e-9f * 1e-5f);
        }
    }
}
