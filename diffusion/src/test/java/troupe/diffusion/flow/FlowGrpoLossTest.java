package troupe.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class FlowGrpoLossTest {

    // Four samples, clip range 0.2 (band [0.8, 1.2]; flow_grpo uses 1e-4, a wide band keeps the numbers readable):
    //   0: A= 2, ratio 1.5: -A*r = -3.0, -A*clip = -2.4 -> max -2.4 (clipped branch; |r-1| = 0.5 > 0.2)
    //   1: A=-1, ratio 0.5: -A*r =  0.5, -A*clip =  0.8 -> max  0.8 (clipped branch; |r-1| = 0.5 > 0.2)
    //   2: A= 1, ratio 1.1: -A*r = -1.1, -A*clip = -1.1 -> max -1.1 (inside the band)
    //   3: A= 1, ratio 0.5: -A*r = -0.5, -A*clip = -0.8 -> max -0.5 (unclipped branch, but |r-1| = 0.5 > 0.2)
    private static final float[] RATIOS = {1.5f, 0.5f, 1.1f, 0.5f};
    private static final float[] OLD = {-1f, -2f, -0.5f, -1.5f};
    private static final float[] ADV = {2f, -1f, 1f, 1f};
    private static final float[] KL = {0.1f, 0.3f, 0f, 0.2f};
    private static final float CLIP = 0.2f;
    private static final float BETA = 0.04f;

    /** Current log-probs whose ratio to OLD is RATIOS. */
    private static float[] logProbs() {
        float[] lp = new float[OLD.length];
        for (int i = 0; i < lp.length; i++) {
            lp[i] = (float) (OLD[i] + Math.log(RATIOS[i]));
        }
        return lp;
    }

    @Test
    void lossClipFractionAndApproxKlMatchHandValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            FlowGrpoLoss.Result r = FlowGrpoLoss.compute(m.create(logProbs()), m.create(OLD), m.create(ADV),
                    m.create(KL), CLIP, BETA);
            double policy = (-2 * 1.2 + 1 * 0.8 - 1 * 1.1 - 1 * 0.5) / 4;       // -3.2 / 4 = -0.8
            double kl = (0.1 + 0.3 + 0 + 0.2) / 4;                              // 0.15
            double loss = policy + 0.04 * kl;                                   // -0.794
            assertEquals(policy, r.policyLoss(), 1e-5);
            assertEquals(kl, r.kl(), 1e-6);
            assertEquals(loss, r.loss().getFloat(), 1e-5);
            assertEquals(0, r.loss().getShape().dimension(), "scalar loss");
            assertEquals(0.75f, r.clipFraction(), 0f);                           // samples 0, 1, 3
            double l15 = Math.log(1.5);
            double l05 = Math.log(0.5);
            double l11 = Math.log(1.1);
            double approxKl = 0.5 * (l15 * l15 + l05 * l05 + l11 * l11 + l05 * l05) / 4;
            assertEquals(approxKl, r.approxKl(), 1e-6);
        }
    }

    @Test
    void onPolicyWithTheReferenceClipRangeIsMinusMeanAdvantage() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(OLD);
            FlowGrpoLoss.Result r = FlowGrpoLoss.compute(lp, lp.duplicate(), m.create(ADV), null, 1e-4f, 0f);
            assertEquals(-(2 - 1 + 1 + 1) / 4.0, r.loss().getFloat(), 1e-6);    // -0.75
            assertEquals(0f, r.clipFraction(), 0f);
            assertEquals(0f, r.approxKl(), 0f);
            assertEquals(0f, r.kl(), 0f);
        }
    }

    @Test
    void klIsReportedButLeftOutOfTheLossWhenBetaIsZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            FlowGrpoLoss.Result r = FlowGrpoLoss.compute(m.create(logProbs()), m.create(OLD), m.create(ADV),
                    m.create(KL), CLIP, 0f);
            assertEquals(-0.8, r.loss().getFloat(), 1e-5);
            assertEquals(0.15, r.kl(), 1e-6);
        }
    }

    @Test
    void gradientFollowsTheBranchTaken() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(logProbs());
            NDArray kl = m.create(KL);
            lp.setRequiresGradient(true);
            kl.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(FlowGrpoLoss.compute(lp, m.create(OLD), m.create(ADV), kl, CLIP, BETA).loss());
            }
            // d/d lp_i of mean_i(-A_i r_i) is -A_i r_i / 4 where the unclipped branch counts, 0 where clipped wins
            double[] hand = {0, 0, -1 * 1.1 / 4, -1 * 0.5 / 4};
            float[] grad = lp.getGradient().toFloatArray();
            for (int i = 0; i < hand.length; i++) {
                assertEquals(hand[i], grad[i], 1e-6, "d loss / d lp[" + i + "]");
            }
            // d/d kl_i of beta * mean_i kl_i = 0.04 / 4
            assertArrayEquals(new float[] {0.01f, 0.01f, 0.01f, 0.01f}, kl.getGradient().toFloatArray(), 1e-7f);
        }
    }

    @Test
    void rejectsMissingKlAndMismatchedShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(OLD);
            assertThrows(IllegalArgumentException.class,
                    () -> FlowGrpoLoss.compute(lp, lp.duplicate(), m.create(ADV), null, CLIP, BETA));
            assertThrows(IllegalArgumentException.class,
                    () -> FlowGrpoLoss.compute(lp, lp.duplicate(), m.create(ADV).reshape(4, 1), null, CLIP, 0f));
        }
    }
}
