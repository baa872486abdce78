package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class ValueLossTest {

    private static final float J = 1e30f; // junk at masked positions: its square overflows float32

    // eps = 0.2. Row 0 has 4 valid tokens, row 1 has 1; N = 5.
    //   [0,0] V 1.5, V_old 0.8, R 2: V - V_old = 0.7 -> 0.2, V_clip 1.0; (V-R)^2 0.25 < (V_clip-R)^2 1.00: clipped
    //   [0,1] V 2.0, V_old 2.5, R 1: -0.5 -> -0.2, V_clip 2.3; 1.00 < 1.69: clipped
    //   [0,2] V 0.5, V_old 0.5, R 0: inside the band, V_clip = V; 0.25 = 0.25: not clipped (tie)
    //   [0,3] V 3.0, V_old 2.0, R 2: 1 -> 0.2, V_clip 2.2; 1.00 > 0.04: the unclipped branch is larger
    //   [1,0] V -1, V_old -1.1, R 1: 0.1 inside, V_clip = V; 4 = 4: not clipped
    // per token 0.5 * max: [0.5, 0.845, 0.125, 0.5 | 2.0], sum 3.97, token-mean 3.97 / 5 = 0.794; clipped 2 of 5
    // unclipped (eps 0): 0.5 * (V-R)^2 = [0.125, 0.5, 0.125, 0.5 | 2.0], sum 3.25 / 5 = 0.65
    static final float[][] V = {{1.5f, 2.0f, 0.5f, 3.0f, J}, {-1f, -J, J, 7f, J}};
    static final float[][] OLD = {{0.8f, 2.5f, 0.5f, 2.0f, -J}, {-1.1f, J, -J, J, 0f}};
    static final float[][] R = {{2f, 1f, 0f, 2f, J}, {1f, J, J, -J, J}};
    static final float[][] MASK = {{1f, 1f, 1f, 1f, 0f}, {1f, 0f, 0f, 0f, 0f}};

    @Test
    void clippedLossByHandWithJunkAtMaskedPositions() {
        try (NDManager m = NDManager.newBaseManager()) {
            ValueLoss.Result r = ValueLoss.compute(m.create(V), m.create(OLD), m.create(R), m.create(MASK), 0.2f, 5f);
            assertEquals(0.794f, r.loss().getFloat(), 1e-6f);
            assertArrayEquals(new float[] {0.5f, 0.845f, 0.125f, 0.5f, 0f, 2f, 0f, 0f, 0f, 0f},
                    r.perToken().toFloatArray(), 1e-6f);
            assertEquals(0.4f, r.clipFraction(), 1e-6f);
            assertEquals(5f, r.tokens());
        }
    }

    @Test
    void anotherHandExample() {
        float[][] v = {{1.0f, 0.5f, 0.0f}, {0.3f, 1e30f, -1e30f}};
        float[][] old = {{0.5f, 0.5f, 0.5f}, {0.0f, 1e30f, 7f}};
        float[][] r = {{2.0f, 0.0f, 0.2f}, {1.0f, -1e30f, 3f}};
        float[][] mask = {{1f, 1f, 1f}, {1f, 0f, 0f}};
        // eps 0.2: V_clip = OLD + clip(V - OLD, -0.2, 0.2)
        //   (1.0, old 0.5, R 2.0): V_clip 0.7; (V-R)^2 = 1.00, (V_clip-R)^2 = 1.69 -> 1.69, clipped
        //   (0.5, old 0.5, R 0.0): V_clip 0.5; 0.25 and 0.25 -> 0.25, not clipped (not strictly larger)
        //   (0.0, old 0.5, R 0.2): V_clip 0.3; 0.04 and 0.01 -> 0.04, not clipped
        //   (0.3, old 0.0, R 1.0): V_clip 0.2; 0.49 and 0.64 -> 0.64, clipped
        // loss = 0.5 * (1.69 + 0.25 + 0.04 + 0.64) / 4 tokens = 0.3275; clip fraction 2 / 4;
        // unclipped: 0.5 * (1.00 + 0.25 + 0.04 + 0.49) / 4 = 0.2225
        try (NDManager m = NDManager.newBaseManager()) {
            ValueLoss.Result c = ValueLoss.compute(m.create(v), m.create(old), m.create(r), m.create(mask), 0.2f, 4f);
            assertEquals(0.3275f, c.loss().getFloat(), 1e-6f);
            assertEquals(0.5f, c.clipFraction(), 1e-6f);
            ValueLoss.Result p = ValueLoss.compute(m.create(v), m.create(old), m.create(r), m.create(mask), 0f, 4f);
            assertEquals(0.2225f, p.loss().getFloat(), 1e-6f);
            assertEquals(0f, p.clipFraction());
        }
    }

    @Test
    void zeroClipRangeIsThePlainSquaredError() {
        try (NDManager m = NDManager.newBaseManager()) {
            ValueLoss.Result r = ValueLoss.compute(m.create(V), m.create(OLD), m.create(R), m.create(MASK), 0f, 5f);
            assertEquals(0.65f, r.loss().getFloat(), 1e-6f);
            assertEquals(0f, r.clipFraction());
            // a wide band never binds: the same as unclipped
            ValueLoss.Result wide =
                    ValueLoss.compute(m.create(V), m.create(OLD), m.create(R), m.create(MASK), 10f, 5f);
            assertEquals(0.65f, wide.loss().getFloat(), 1e-6f);
            assertEquals(0f, wide.clipFraction());
        }
    }

    @Test
    void nanAtMaskedPositionsDoesNotLeak() {
        float nan = Float.NaN;
        try (NDManager m = NDManager.newBaseManager()) {
            float[][] v = {{1.5f, 2.0f, 0.5f, 3.0f, nan}, {-1f, nan, Float.POSITIVE_INFINITY, 7f, nan}};
            float[][] old = {{0.8f, 2.5f, 0.5f, 2.0f, nan}, {-1.1f, nan, nan, nan, nan}};
            float[][] r = {{2f, 1f, 0f, 2f, nan}, {1f, nan, Float.NEGATIVE_INFINITY, nan, nan}};
            NDArray values = m.create(v);
            values.setRequiresGradient(true);
            ValueLoss.Result result;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                result = ValueLoss.compute(values, m.create(old), m.create(r), m.create(MASK), 0.2f, 5f);
                collector.backward(result.loss());
            }
            assertEquals(0.794f, result.loss().getFloat(), 1e-6f);
            assertEquals(0.4f, result.clipFraction(), 1e-6f);
            for (float g : values.getGradient().toFloatArray()) {
                assertTrue(Float.isFinite(g), "gradient " + g);
            }
        }
    }

    /**
     * dL/dV by hand (N = 5): clipped tokens with a saturated clip give 0 (V_clip does not move with V); elsewhere
     * (V - R) / N: [0,2] 0.5 / 5 = 0.1 (the tie splits evenly between two equal branches), [0,3] 1 / 5 = 0.2,
     * [1,0] -2 / 5 = -0.4; masked positions 0.
     */
    @Test
    void gradientByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray values = m.create(V);
            values.setRequiresGradient(true);
            // Only one GradientCollector may be open per JVM: close it before anything else runs.
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(
                        ValueLoss.compute(values, m.create(OLD), m.create(R), m.create(MASK), 0.2f, 5f).loss());
            }
            assertArrayEquals(new float[] {0f, 0f, 0.1f, 0.2f, 0f, -0.4f, 0f, 0f, 0f, 0f},
                    values.getGradient().toFloatArray(), 1e-6f);
        }
    }

    /**
     * Gradient accumulation: the full batch (3 rows, 4 columns) against micro-batch A (rows 0-1, 4 columns) and
     * micro-batch B (row 2 alone, padded to 2 columns only), both with the step's token count. Loss and gradient
     * must be the same.
     */
    @Test
    void microBatchesOfDifferentLengthsAddUpToTheFullBatch() {
        float[][] v = {{0.3f, 1.2f, -0.4f, 2.0f}, {1.0f, 0.1f, J, J}, {-0.5f, 0.9f, J, J}};
        float[][] old = {{0.0f, 1.0f, 0.0f, 1.5f}, {0.8f, 0.6f, J, -J}, {-0.1f, 1.0f, J, J}};
        float[][] r = {{1.0f, 0.5f, -1.0f, 2.5f}, {0.0f, 0.3f, -J, J}, {0.5f, 2.0f, J, J}};
        float[][] mask = {{1f, 1f, 1f, 1f}, {1f, 1f, 0f, 0f}, {1f, 1f, 0f, 0f}};
        float tokens = 8f;
        float clip = 0.3f;
        float fullLoss;
        float fullClip;
        float[] fullGrad;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray values = m.create(v);
            values.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                ValueLoss.Result res = ValueLoss.compute(values, m.create(old), m.create(r), m.create(mask), clip,
                        tokens);
                fullLoss = res.loss().getFloat();
                fullClip = res.clipFraction();
                collector.backward(res.loss());
            }
            fullGrad = values.getGradient().toFloatArray();
        }
        assertTrue(fullClip > 0f && fullClip < 1f, "the example must exercise both branches, clip " + fullClip);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray values = m.create(v);
            values.setRequiresGradient(true);
            NDArray oldAll = m.create(old);
            NDArray rAll = m.create(r);
            NDArray maskAll = m.create(mask);
            float loss = 0;
            float clipped = 0;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (NDIndex part : new NDIndex[] {new NDIndex("0:2, :"), new NDIndex("2:3, 0:2")}) {
                    ValueLoss.Result res = ValueLoss.compute(values.get(part), oldAll.get(part), rAll.get(part),
                            maskAll.get(part), clip, tokens);
                    loss += res.loss().getFloat();
                    clipped += res.clipFraction() * res.tokens();
                    collector.backward(res.loss());
                }
            }
            assertEquals(fullLoss, loss, 1e-6f);
            assertEquals(fullClip, clipped / tokens, 1e-6f);
            assertArrayEquals(fullGrad, values.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void rejectsBadClipRangeAndShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray v = m.create(V);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ValueLoss.compute(v, m.create(OLD), m.create(R), m.create(MASK), -0.1f, 5f));
            assertEquals("clipRange must be a finite number >= 0 (0 = unclipped), got -0.1", e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> ValueLoss.compute(v, m.create(OLD), m.create(R), m.create(MASK), Float.NaN, 5f));
            e = assertThrows(IllegalArgumentException.class,
                    () -> ValueLoss.compute(v, m.create(OLD), m.create(new float[][] {{1f}}), m.create(MASK), 0f, 5f));
            assertTrue(e.getMessage().startsWith("returns has shape (1, 1)"), e.getMessage());
        }
    }

    @Test
    void emptyMaskGivesZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[][] none = {{0f, 0f, 0f, 0f, 0f}, {0f, 0f, 0f, 0f, 0f}};
            ValueLoss.Result r = ValueLoss.compute(m.create(V), m.create(OLD), m.create(R), m.create(none), 0.2f, 0f);
            assertEquals(0f, r.loss().getFloat());
            assertEquals(0f, r.clipFraction());
        }
    }
}
