package troupe.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class FlowSdeTest {

    // The schedule FlowSchedule.sigmas(4, 3) = {1, 0.9, 0.75, 0.5, 0}; a = 0.7.
    private static final float[] SIGMAS = {1f, 0.9f, 0.75f, 0.5f, 0f};
    private static final float A = 0.7f;

    // A batch of two [1, 2, 2] "images" at step i = 2: t = 0.75, t_next = 0.5, dt = -0.25.
    private static final Shape SHAPE = new Shape(2, 1, 2, 2);
    private static final int D = 4;                       // elements per sample
    private static final float T = 0.75f;
    private static final float DT = -0.25f;
    private static final float[] X = {1f, -0.5f, 0.2f, 2f, 0f, 1.5f, -1f, 0.3f};
    private static final float[] V = {2f, 0.4f, -1f, -0.6f, 1f, -2f, 0.5f, 0f};
    private static final float[] Z = {0.5f, -1f, 2f, 0f, 1f, 1f, -0.5f, 0.25f};

    // Hand values for this step:
    //   sigma_t^2 = 0.49 * 0.75 / 0.25 = 1.47,  c = sigma_t^2 / (2t) = 1.47 / 1.5 = 0.98
    //   mean = x + [v + 0.98 (x + 0.25 v)] * (-0.25) = 0.755 x - 0.31125 v
    //   s = sigma_t * sqrt(0.25) = 0.35 * sqrt(3) = 0.6062178
    private static final double SIGMA_T2 = 0.49 * 3.0;
    private static final double C = SIGMA_T2 / (2 * 0.75);
    private static final double STD = 0.35 * Math.sqrt(3.0);
    private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

    /** The drift of section 6.2 in double, element by element. */
    private static double[] handMean() {
        double[] mean = new double[X.length];
        for (int k = 0; k < X.length; k++) {
            mean[k] = X[k] + (V[k] + C * (X[k] + (1 - 0.75) * V[k])) * -0.25;
        }
        return mean;
    }

    private static void assertRelative(double expected, float actual, String what) {
        assertEquals(expected, actual, 1e-5 * Math.abs(expected) + 1e-7, what);
    }

    @Test
    void sigmaTSubstitutesSigmasOneAtTheFirstStep() {
        // t = 1: t_eff = sigmas[1] = 0.9 -> 0.7 * sqrt(1 / 0.1) = 0.7 * sqrt(10) = 2.2135944
        assertRelative(0.7 * Math.sqrt(1.0 / (1 - 0.9)), FlowSde.sigmaT(SIGMAS, 0, A), "t = 1");
        // interior: a * sqrt(t / (1 - t))
        assertRelative(0.7 * Math.sqrt(0.9 / (1 - 0.9)), FlowSde.sigmaT(SIGMAS, 1, A), "t = 0.9");   // 2.1
        assertRelative(0.7 * Math.sqrt(0.75 / 0.25), FlowSde.sigmaT(SIGMAS, 2, A), "t = 0.75");      // 1.2124356
        assertRelative(0.7, FlowSde.sigmaT(SIGMAS, 3, A), "t = 0.5");
        assertEquals(0f, FlowSde.sigmaT(SIGMAS, 4, A), 0f, "t = 0");
        assertEquals(0f, FlowSde.sigmaT(SIGMAS, 2, 0f), 0f, "a = 0");
        assertThrows(IllegalArgumentException.class, () -> FlowSde.sigmaT(SIGMAS, 5, A));
        assertThrows(IllegalArgumentException.class, () -> FlowSde.sigmaT(SIGMAS, 1, -0.1f));
    }

    @Test
    void transitionStdIsSigmaTTimesSqrtMinusDt() {
        float sigmaT = FlowSde.sigmaT(SIGMAS, 2, A);
        assertRelative(STD, FlowSde.transitionStd(sigmaT, DT), "s");                  // 0.6062178
        assertRelative(2.1 * Math.sqrt(0.15), FlowSde.transitionStd(2.1f, 0.75f - 0.9f), "step 1");
        assertThrows(IllegalArgumentException.class, () -> FlowSde.transitionStd(sigmaT, 0f));
        assertThrows(IllegalArgumentException.class, () -> FlowSde.transitionStd(sigmaT, 0.25f));
    }

    @Test
    void meanSampleAndLogProbMatchHandValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            float sigmaT = FlowSde.sigmaT(SIGMAS, 2, A);
            float std = FlowSde.transitionStd(sigmaT, DT);
            NDArray mean = FlowSde.mean(m.create(X, SHAPE), m.create(V, SHAPE), T, DT, sigmaT);
            assertEquals(SHAPE, mean.getShape());
            double[] hand = handMean();
            float[] got = mean.toFloatArray();
            assertRelative(0.755 * 1 - 0.31125 * 2, got[0], "mean[0] = 0.1325");
            for (int k = 0; k < X.length; k++) {
                assertRelative(hand[k], got[k], "mean[" + k + "]");
            }

            NDArray next = FlowSde.sample(mean, std, m.create(Z, SHAPE));
            float[] nextValues = next.toFloatArray();
            for (int k = 0; k < X.length; k++) {
                assertRelative(hand[k] + STD * Z[k], nextValues[k], "next[" + k + "]");
            }

            // next - mean = s z, so each element is -z^2/2 - log s - 0.5 log(2 pi); then the mean over 4 elements.
            //   row 0: mean z^2 = (0.25 + 1 + 4 + 0) / 4 = 1.3125 -> -0.65625 + 0.5005160 - 0.9189385 = -1.0746725
            //   row 1: mean z^2 = (1 + 1 + 0.25 + 0.0625) / 4 = 0.578125
            double row0 = -0.5 * (0.25 + 1 + 4 + 0) / 4 - Math.log(STD) - HALF_LOG_TWO_PI;
            double row1 = -0.5 * (1 + 1 + 0.25 + 0.0625) / 4 - Math.log(STD) - HALF_LOG_TWO_PI;
            NDArray lp = FlowSde.logProb(next, mean, std);
            assertEquals(new Shape(2), lp.getShape());
            float[] lpValues = lp.toFloatArray();
            assertRelative(row0, lpValues[0], "logProb row 0");
            assertRelative(row1, lpValues[1], "logProb row 1");
            assertRelative(-1.0746725, lpValues[0], "logProb row 0 literal");
        }
    }

    @Test
    void logProbOfAnArbitraryNextUsesThePerElementMean() {
        float[] nextValues = {0f, 0f, 1f, 1f, -1f, 2f, 0.5f, 0f};
        try (NDManager m = NDManager.newBaseManager()) {
            float sigmaT = FlowSde.sigmaT(SIGMAS, 2, A);
            float std = FlowSde.transitionStd(sigmaT, DT);
            NDArray mean = FlowSde.mean(m.create(X, SHAPE), m.create(V, SHAPE), T, DT, sigmaT);
            float[] lp = FlowSde.logProb(m.create(nextValues, SHAPE), mean, std).toFloatArray();
            double[] hand = handMean();
            for (int b = 0; b < 2; b++) {
                double sum = 0;
                for (int k = b * D; k < (b + 1) * D; k++) {
                    double d = nextValues[k] - hand[k];
                    sum += -d * d / (2 * STD * STD) - Math.log(STD) - HALF_LOG_TWO_PI;
                }
                assertRelative(sum / D, lp[b], "row " + b);
            }
        }
    }

    @Test
    void rescoringTheStoredSampleWithTheSameWeightsGivesRatioExactlyOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            float sigmaT = FlowSde.sigmaT(SIGMAS, 2, A);
            float std = FlowSde.transitionStd(sigmaT, DT);
            // Rollout: sample and store next and its log-prob.
            NDArray rolloutMean = FlowSde.mean(m.create(X, SHAPE), m.create(V, SHAPE), T, DT, sigmaT);
            NDArray next = FlowSde.sample(rolloutMean, std, m.create(Z, SHAPE));
            NDArray oldLp = FlowSde.logProb(next, rolloutMean, std);
            // Training: the same weights give the same v; recompute the mean from fresh arrays, re-score next.
            NDArray trainMean = FlowSde.mean(m.create(X, SHAPE), m.create(V, SHAPE), T, DT, sigmaT);
            NDArray lp = FlowSde.logProb(next, trainMean, std);
            assertArrayEquals(new float[] {1f, 1f}, lp.sub(oldLp).exp().toFloatArray(), 0f);
        }
    }

    @Test
    void zeroNoiseIsExactlyTheOdeStepAndTinyNoiseIsClose() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X, SHAPE);
            NDArray v = m.create(V, SHAPE);
            float[] ode = FlowSde.odeStep(x, v, DT).toFloatArray();
            for (int k = 0; k < X.length; k++) {
                assertRelative(X[k] + -0.25 * V[k], ode[k], "ode[" + k + "]");
            }
            float sigmaT0 = FlowSde.sigmaT(SIGMAS, 2, 0f);
            assertArrayEquals(ode, FlowSde.mean(x, v, T, DT, sigmaT0).toFloatArray(), 0f);
            // a = 1e-4: c = 3e-8 / 1.5 = 2e-8, so mean - ode = c (x + 0.25 v) dt is about 1e-8
            float sigmaTiny = FlowSde.sigmaT(SIGMAS, 2, 1e-4f);
            assertArrayEquals(ode, FlowSde.mean(x, v, T, DT, sigmaTiny).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void logProbGradientWithRespectToVelocityIsTheHandValue() {
        try (NDManager m = NDManager.newBaseManager()) {
            float sigmaT = FlowSde.sigmaT(SIGMAS, 2, A);
            float std = FlowSde.transitionStd(sigmaT, DT);
            NDArray x = m.create(X, SHAPE);
            NDArray v = m.create(V, SHAPE);
            NDArray next = FlowSde.sample(FlowSde.mean(x, v, T, DT, sigmaT), std, m.create(Z, SHAPE));
            v.setRequiresGradient(true);
            // Only one GradientCollector may be open per JVM: close it before anything else runs.
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray lp = FlowSde.logProb(next, FlowSde.mean(x, v, T, DT, sigmaT), std);
                collector.backward(lp.sum());
            }
            float[] grad = v.getGradient().toFloatArray();
            // d lp_b / d mean_k = (next_k - mean_k) / (s^2 D) = z_k / (s D);  d mean_k / d v_k = (1 + c (1-t)) dt
            //   = (1 + 0.98 * 0.25) * (-0.25) = -0.31125
            double dMeanDv = (1 + C * 0.25) * -0.25;
            for (int k = 0; k < X.length; k++) {
                assertTrue(Float.isFinite(grad[k]), "finite gradient " + k);
                assertEquals(dMeanDv * Z[k] / (STD * D), grad[k], 1e-4 * Math.abs(dMeanDv * Z[k] / (STD * D)) + 1e-6,
                        "grad[" + k + "]");
            }
            assertTrue(grad[0] != 0f, "the gradient reaches v");
        }
    }

    @Test
    void rejectsUndefinedInputs() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X, SHAPE);
            NDArray v = m.create(V, SHAPE);
            assertThrows(IllegalArgumentException.class, () -> FlowSde.mean(x, v, 0f, DT, 1f));       // t = 0
            assertThrows(IllegalArgumentException.class, () -> FlowSde.logProb(x, v, 0f));            // a = 0
            assertThrows(IllegalArgumentException.class,
                    () -> FlowSde.mean(x, m.create(new float[] {1f, 2f}, new Shape(2, 1, 1, 1)), T, DT, 1f));
            assertThrows(IllegalArgumentException.class, () -> FlowSde.odeStep(x, v.toType(
                    ai.djl.ndarray.types.DataType.FLOAT64, false), DT));
        }
    }
}
