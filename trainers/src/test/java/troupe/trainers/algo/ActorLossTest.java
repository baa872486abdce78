package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class ActorLossTest {

    private static final ActorLoss.Params TOKEN_MEAN =
            new ActorLoss.Params(0.2f, 0.2f, 0.1f, LossAggregation.TOKEN_MEAN);
    private static final ActorLoss.Params SEQ_MEAN =
            new ActorLoss.Params(0.2f, 0.2f, 0.1f, LossAggregation.SEQ_MEAN_TOKEN_MEAN);

    @Test
    void onPolicyLossIsMinusMeanAdvantagePlusBetaK3() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[][] {{-1f, -2f}, {-0.5f, -1f}});
            NDArray old = lp.duplicate();                         // ratio 1: nothing clipped
            NDArray ref = lp.add(m.create(0.5f));                 // x = ref - lp = 0.5 on every token
            NDArray adv = m.create(new float[] {2f, -1f});        // [B]
            NDArray mask = m.create(new float[][] {{1f, 1f}, {1f, 0f}});
            // pg = -A: row 0 -> -2, -2; row 1 -> 1 (second token masked). k3 = exp(0.5) - 1.5 = 0.1487213.
            // token-mean: pg (-2 - 2 + 1) / 3 = -1; loss = -1 + 0.1 * 0.1487213 = -0.98512787
            ActorLoss.Result t = ActorLoss.compute(lp, old, ref, adv, null, mask, TOKEN_MEAN, 3f, 2);
            assertEquals(-1f, t.policyLoss(), 1e-6f);
            assertEquals(-0.98512787f, t.loss().getFloat(), 1e-6f);
            assertEquals(0.1487213f, t.kl(), 1e-6f);
            assertEquals(0f, t.clipFraction());
            // seq-mean-token-mean: pg row means -2 and 1 -> (-2 + 1) / 2 = -0.5; k3 row means 0.1487213 each
            // loss = -0.5 + 0.1 * 0.1487213 = -0.48512787
            ActorLoss.Result s = ActorLoss.compute(lp, old, ref, adv, null, mask, SEQ_MEAN, 3f, 2);
            assertEquals(-0.5f, s.policyLoss(), 1e-6f);
            assertEquals(-0.48512787f, s.loss().getFloat(), 1e-6f);
        }
    }

    @Test
    void clipFractionIsTheMaskedTokenMean() {
        try (NDManager m = NDManager.newBaseManager()) {
            // The five tokens of PolicyLossTest: t0 and t1 are clipped.
            NDArray lp = m.create(PolicyLossTest.logOf(PolicyLossTest.RATIOS));
            NDArray old = m.zeros(lp.getShape());
            NDArray adv = m.create(PolicyLossTest.ADVANTAGES);
            ActorLoss.Params noKl = new ActorLoss.Params(0.2f, 0.2f, 0f, LossAggregation.TOKEN_MEAN);
            NDArray all = m.create(new float[][] {{1f, 1f, 1f, 1f, 1f}});
            ActorLoss.Result r = ActorLoss.compute(lp, old, null, adv, null, all, noKl, 5f, 1);
            assertEquals(0.4f, r.clipFraction(), 1e-6f);                          // 2 of 5
            // pg = -2.4 + 0.8 - 1.1 - 0.5 + 1.5 = -1.7; / 5 = -0.34
            assertEquals(-0.34f, r.policyLoss(), 1e-5f);
            assertEquals(-0.34f, r.loss().getFloat(), 1e-5f);
            assertEquals(0f, r.kl());
            NDArray firstFour = m.create(new float[][] {{1f, 1f, 1f, 1f, 0f}});
            assertEquals(0.5f, ActorLoss.compute(lp, old, null, adv, null, firstFour, noKl, 4f, 1).clipFraction(),
                    1e-6f);                                                        // 2 of 4
        }
    }

    @Test
    void referenceIsRequiredWhenBetaIsPositive() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[][] {{-1f}});
            assertThrows(IllegalArgumentException.class, () -> ActorLoss.compute(lp, lp.duplicate(), null,
                    m.create(new float[] {1f}), null, m.create(new float[][] {{1f}}), TOKEN_MEAN, 1f, 1));
        }
    }

    @Test
    void positionsAfterEosChangeNothingEvenWithHugeValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(new float[][] {{1f, 1f, 0f, 0f}, {1f, 0f, 0f, 0f}});
            NDArray adv = m.create(new float[][] {{1.5f}, {-0.5f}});
            NDArray lp = m.create(new float[][] {{-0.3f, -1.2f, 0f, 0f}, {-0.7f, 0f, 0f, 0f}});
            NDArray old = m.create(new float[][] {{-0.4f, -1.0f, 0f, 0f}, {-0.9f, 0f, 0f, 0f}});
            NDArray ref = m.create(new float[][] {{-0.5f, -1.1f, 0f, 0f}, {-0.6f, 0f, 0f, 0f}});
            NDArray lpBad = m.create(new float[][] {{-0.3f, -1.2f, 1e30f, -1e30f}, {-0.7f, -1e30f, 1e30f, 5e29f}});
            NDArray oldBad = m.create(new float[][] {{-0.4f, -1.0f, -1e30f, 1e30f}, {-0.9f, 1e30f, 0f, -3e29f}});
            NDArray refBad = m.create(new float[][] {{-0.5f, -1.1f, 1e30f, -1e30f}, {-0.6f, 1e30f, -1e30f, 0f}});
            for (ActorLoss.Params params : new ActorLoss.Params[] {TOKEN_MEAN, SEQ_MEAN}) {
                ActorLoss.Result clean = ActorLoss.compute(lp, old, ref, adv, null, mask, params, 3f, 2);
                ActorLoss.Result dirty = ActorLoss.compute(lpBad, oldBad, refBad, adv, null, mask, params, 3f, 2);
                assertEquals(clean.loss().getFloat(), dirty.loss().getFloat(), 1e-7f);
                assertEquals(clean.policyLoss(), dirty.policyLoss(), 1e-7f);
                assertEquals(clean.kl(), dirty.kl(), 1e-7f);
                assertEquals(clean.clipFraction(), dirty.clipFraction(), 1e-7f);
                assertEquals(false, Float.isNaN(dirty.loss().getFloat()));
            }
        }
    }

    // Gradient check. Ratios exp(lp - old) and advantages:
    //   row 0 (A = 1.5): exp(0.3) = 1.35 (above the band: clipped, only KL gradient), exp(0) = 1 (inside),
    //                    exp(-0.4) = 0.67 (below the band, A > 0: unclipped branch, gradient flows)
    //   row 1 (A = -0.8): exp(0) = 1 (inside), exp(-0.5) = 0.61 (below the band, A < 0: clipped),
    //                     exp(1.1) = 3.0 (but masked: gradient exactly 0)
    // Every ratio is at least 0.13 away from a kink at 0.8 or 1.2, far beyond the finite-difference step.
    private static final float[][] LP = {{-0.2f, -1.0f, -0.7f}, {-0.4f, -1.3f, -0.9f}};
    private static final float[][] OLD = {{-0.5f, -1.0f, -0.3f}, {-0.4f, -0.8f, -2.0f}};
    private static final float[][] REF = {{-0.3f, -0.9f, -1.0f}, {-0.6f, -1.0f, -1.0f}};
    private static final float[] ADV = {1.5f, -0.8f};
    private static final float[][] MASK = {{1f, 1f, 1f}, {1f, 1f, 0f}};
    private static final ActorLoss.Params GRAD_TOKEN = new ActorLoss.Params(0.2f, 0.2f, 0.2f, LossAggregation.TOKEN_MEAN);
    private static final ActorLoss.Params GRAD_SEQ =
            new ActorLoss.Params(0.2f, 0.2f, 0.2f, LossAggregation.SEQ_MEAN_TOKEN_MEAN);

    @Test
    void gradientMatchesFiniteDifferences() {
        for (ActorLoss.Params params : new ActorLoss.Params[] {GRAD_TOKEN, GRAD_SEQ}) {
            float[] analytic = autogradGradient(params);
            float[] numeric = finiteDifferenceGradient(params, 1e-2f);
            assertArrayEquals(numeric, analytic, 1e-4f, params.aggregation().wireName());
            assertEquals(0f, analytic[5], 0f, "masked token");
        }
        float[] g = autogradGradient(GRAD_TOKEN);
        // Hand values, token-mean over 5 tokens, beta 0.2; d k3 / d lp = 1 - exp(ref - lp):
        // [0,0] clipped: only KL: 0.2 / 5 * (1 - exp(-0.1)) = 0.04 * 0.0951626 = 0.0038065
        assertEquals(0.0038065f, g[0], 1e-6f);
        // [0,2] unclipped: -A * ratio / 5 + 0.04 * (1 - exp(-0.3))
        //     = -1.5 * 0.6703200 / 5 + 0.04 * 0.2591818 = -0.2010960 + 0.0103673 = -0.1907287
        assertEquals(-0.1907287f, g[2], 1e-6f);
    }

    /** d loss / d lp through DJL autograd. */
    private static float[] autogradGradient(ActorLoss.Params params) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(LP);
            lp.setRequiresGradient(true);
            // Only one GradientCollector may be open per JVM: close it before anything else runs.
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                ActorLoss.Result r = ActorLoss.compute(lp, m.create(OLD), m.create(REF), m.create(ADV),
                        null, m.create(MASK), params, 5f, 2);
                collector.backward(r.loss());
            }
            return lp.getGradient().toFloatArray();
        }
    }

    /** Central differences (f(lp + h e_j) - f(lp - h e_j)) / 2h, one entry at a time. */
    private static float[] finiteDifferenceGradient(ActorLoss.Params params, float h) {
        float[] gradient = new float[6];
        for (int j = 0; j < 6; j++) {
            gradient[j] = (lossAt(params, j, h) - lossAt(params, j, -h)) / (2 * h);
        }
        return gradient;
    }

    private static float lossAt(ActorLoss.Params params, int index, float delta) {
        float[][] lp = {LP[0].clone(), LP[1].clone()};
        lp[index / 3][index % 3] += delta;
        try (NDManager m = NDManager.newBaseManager()) {
            return ActorLoss.compute(m.create(lp), m.create(OLD), m.create(REF), m.create(ADV), null, m.create(MASK),
                    params, 5f, 2).loss().getFloat();
        }
    }
}
