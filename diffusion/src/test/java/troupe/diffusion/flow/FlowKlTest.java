package troupe.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class FlowKlTest {

    private static final Shape SHAPE = new Shape(2, 1, 1, 2);
    private static final float[] MEAN = {1f, 2f, 0f, 0.3f};
    private static final float[] REF = {0.5f, 3f, 0f, 0.1f};

    @Test
    void identicalMeansGiveZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mean = m.create(MEAN, SHAPE);
            assertArrayEquals(new float[] {0f, 0f}, FlowKl.kl(mean, mean.duplicate(), 0.5f).toFloatArray(), 0f);
        }
    }

    @Test
    void elementMeanOfSquaredDifferenceOverTwoSigmaTSquared() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray kl = FlowKl.kl(m.create(MEAN, SHAPE), m.create(REF, SHAPE), 0.5f);
            assertEquals(new Shape(2), kl.getShape());
            // 2 sigma_t^2 = 0.5
            // row 0: diffs 0.5, -1  -> (0.25 + 1) / 2 = 0.625 -> / 0.5 = 1.25
            // row 1: diffs 0, 0.2   -> (0 + 0.04) / 2 = 0.02  -> / 0.5 = 0.04
            double row0 = (0.5 * 0.5 + 1.0 * 1.0) / 2 / (2 * 0.5 * 0.5);
            double row1 = (0.0 + 0.2 * 0.2) / 2 / (2 * 0.5 * 0.5);
            float[] got = kl.toFloatArray();
            assertEquals(row0, got[0], 1e-5 * row0);
            assertEquals(row1, got[1], 1e-5 * row1);
            assertEquals(1.25f, got[0], 1e-6f);
        }
    }

    @Test
    void gradientFlowsIntoTheCurrentMeanOnly() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mean = m.create(MEAN, SHAPE);
            mean.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(FlowKl.kl(mean, m.create(REF, SHAPE), 0.5f).sum());
            }
            // d kl_b / d mean_k = (mean_k - ref_k) / (D sigma_t^2) with D = 2, sigma_t^2 = 0.25: diff * 2
            double[] hand = {0.5 * 2, -1.0 * 2, 0.0, 0.2 * 2};
            float[] grad = mean.getGradient().toFloatArray();
            for (int k = 0; k < hand.length; k++) {
                assertEquals(hand[k], grad[k], 1e-5, "grad[" + k + "]");
            }
        }
    }

    @Test
    void rejectsZeroSigmaT() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mean = m.create(MEAN, SHAPE);
            assertThrows(IllegalArgumentException.class, () -> FlowKl.kl(mean, mean, 0f));
        }
    }
}
