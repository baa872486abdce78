package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyLossesTest {

    /** Log-probs whose ratio to old log-probs of 0 is the given ratio; the last entry is junk at a masked slot. */
    private static float[][] logOfWithJunk(float... ratios) {
        float[] row = new float[ratios.length + 1];
        for (int i = 0; i < ratios.length; i++) {
            row[i] = (float) Math.log(ratios[i]);
        }
        row[ratios.length] = 1e30f;
        return new float[][] {row};
    }

    private static float[][] maskWithLastMasked(int valid) {
        float[] row = new float[valid + 1];
        java.util.Arrays.fill(row, 0, valid, 1f);
        return new float[][] {row};
    }

    // clipLow 0.2, clipHigh 0.28 (DAPO clip-higher): band [0.8, 1.28]. Last slot masked, with junk everywhere.
    //   t0: A= 2, ratio 1.5 : -A*r = -3.0,  -A*clip = -2.56 -> -2.56, high clip (A > 0 above the band)
    //   t1: A=-1, ratio 0.5 : -A*r =  0.5,  -A*clip =  0.8  ->  0.8,  low clip (A < 0 below the band)
    //   t2: A= 1, ratio 1.25: -A*r = -1.25, -A*clip = -1.25 -> -1.25, inside (a symmetric 0.2 would clip it)
    //   t3: A= 1, ratio 0.5 : -A*r = -0.5,  -A*clip = -0.8  -> -0.5,  not clipped
    //   t4: A=-1, ratio 1.5 : -A*r =  1.5,  -A*clip =  1.28 ->  1.5,  not clipped
    private static final float[] RATIOS = {1.5f, 0.5f, 1.25f, 0.5f, 1.5f};
    private static final float[][] ADV = {{2f, -1f, 1f, 1f, -1f, 1e30f}};

    @Test
    void clipHigherCountsLowAndHighSeparately() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(maskWithLastMasked(5));
            PolicyLoss.Result r = PolicyLosses.byName("ppo_clip").compute(m.create(logOfWithJunk(RATIOS)),
                    m.zeros(mask.getShape()), m.create(ADV), mask, PolicyLoss.ClipParams.of(0.2f, 0.28f));
            assertFalse(r.sequenceLevel());
            assertArrayEquals(new float[] {-2.56f, 0.8f, -1.25f, -0.5f, 1.5f, 0f}, r.loss().toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {0f, 1f, 0f, 0f, 0f, 0f}, r.lowClipped().toFloatArray(), 0f);
            assertArrayEquals(new float[] {1f, 0f, 0f, 0f, 0f, 0f}, r.highClipped().toFloatArray(), 0f);
            PolicyLoss.ClipFractions f = r.fractions(mask);
            assertEquals(0.2f, f.low(), 1e-6f);     // 1 of 5 valid tokens
            assertEquals(0.2f, f.high(), 1e-6f);
            assertEquals(0f, f.dual());
            // token-mean over 5 tokens: (-2.56 + 0.8 - 1.25 - 0.5 + 1.5) / 5 = -2.01 / 5 = -0.402
            assertEquals(-0.402f, r.aggregate(LossAggregation.TOKEN_MEAN, mask, 5f, 1, 0f).getFloat(), 1e-5f);

            // symmetric 0.2: t2 (ratio 1.25, A = 1) is now clipped high at -1.2; high fraction 2 of 5
            PolicyLoss.Result s = PolicyLosses.byName("ppo_clip").compute(m.create(logOfWithJunk(RATIOS)),
                    m.zeros(mask.getShape()), m.create(ADV), mask, PolicyLoss.ClipParams.of(0.2f, 0.2f));
            assertEquals(-1.2f, s.loss().toFloatArray()[2], 1e-5f);
            assertEquals(0.4f, s.fractions(mask).high(), 1e-6f);
        }
    }

    // Dual-clip c = 3, band [0.8, 1.2]:
    //   d0: A=-1, ratio 5  : max(5, 1.2) = 5 > cap 3 -> 3 (dual clip; gradient 0)
    //   d1: A=-1, ratio 2  : max(2, 1.2) = 2 < 3     -> 2 (gradient -A * ratio = 2)
    //   d2: A= 1, ratio 5  : max(-5, -1.2) = -1.2    -> high clip, no cap for A > 0 (gradient 0)
    //   d3: A=-1, ratio 0.5: max(0.5, 0.8) = 0.8     -> low clip (gradient 0)
    //   d4: A=-2, ratio 2  : max(4, 2.4) = 4 < cap 6 -> 4 (gradient -A * ratio = 4)
    private static final float[] DUAL_RATIOS = {5f, 2f, 5f, 0.5f, 2f};
    private static final float[][] DUAL_ADV = {{-1f, -1f, 1f, -1f, -2f, -1e30f}};

    @Test
    void dualClipCapsOnlyNegativeAdvantages() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(maskWithLastMasked(5));
            NDArray adv = m.create(DUAL_ADV);
            PolicyLoss.Result r = PolicyLosses.byName("dual_clip").compute(m.create(logOfWithJunk(DUAL_RATIOS)),
                    m.zeros(mask.getShape()), adv, mask, PolicyLoss.ClipParams.of(0.2f, 0.2f).withDualClip(3f));
            assertArrayEquals(new float[] {3f, 2f, -1.2f, 0.8f, 4f, 0f}, r.loss().toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {1f, 0f, 0f, 0f, 0f, 0f}, r.dualClipped().toFloatArray(), 0f);
            assertArrayEquals(new float[] {0f, 0f, 0f, 1f, 0f, 0f}, r.lowClipped().toFloatArray(), 0f);
            assertArrayEquals(new float[] {0f, 0f, 1f, 0f, 0f, 0f}, r.highClipped().toFloatArray(), 0f);
            assertEquals(0.2f, r.fractions(mask).dual(), 1e-6f);
        }
        // d loss_t / d lp_t of the summed per-token loss: [0, 2, 0, 0, 4] and 0 on the masked slot
        float[] gradient = gradientOfSum("dual_clip", logOfWithJunk(DUAL_RATIOS), DUAL_ADV, maskWithLastMasked(5),
                PolicyLoss.ClipParams.of(0.2f, 0.2f).withDualClip(3f));
        assertArrayEquals(new float[] {0f, 2f, 0f, 0f, 4f, 0f}, gradient, 1e-5f);
    }

    @Test
    void logRatioClampIsOptional() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[][] {{30f}});
            NDArray old = m.zeros(lp.getShape());
            NDArray adv = m.create(new float[] {1f});
            NDArray mask = m.ones(lp.getShape());
            PolicyLoss.ClipParams base = PolicyLoss.ClipParams.of(0.2f, 0.2f);
            // default clamp 20: exp(20) = 4.85165195e8; clamp 5: exp(5) = 148.41316; none: exp(30) = 1.0686475e13
            assertEquals(4.85165195e8f, PolicyLoss.compute(lp, old, adv, mask, base).ratio().getFloat(), 1e3f);
            assertEquals(148.41316f, PolicyLoss.compute(lp, old, adv, mask, base.withLogRatioLimit(5f))
                    .ratio().getFloat(), 1e-3f);
            assertEquals(1.0686475e13f, PolicyLoss.compute(lp, old, adv, mask, base.withLogRatioLimit(null))
                    .ratio().getFloat(), 1e7f);
        }
    }

    @Test
    void maskedJunkDoesNotLeakEvenWithoutTheClamp() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[][] mask = {{1f, 1f, 0f}, {1f, 0f, 0f}};
            float[][] lp = {{-0.3f, -1.2f, 0f}, {-0.7f, 0f, 0f}};
            float[][] old = {{-0.4f, -1.0f, 0f}, {-0.9f, 0f, 0f}};
            float[][] lpBad = {{-0.3f, -1.2f, 1e30f}, {-0.7f, -1e30f, 3e30f}};
            float[][] oldBad = {{-0.4f, -1.0f, -1e30f}, {-0.9f, 1e30f, -5e29f}};
            float[][] adv = {{1.5f, 1.5f, 1e30f}, {-0.5f, -1e30f, 2e30f}};
            PolicyLoss.ClipParams noClamp = PolicyLoss.ClipParams.of(0.2f, 0.28f).withDualClip(3f)
                    .withLogRatioLimit(null);
            PolicyLoss.Result clean = PolicyLoss.compute(m.create(lp), m.create(old), m.create(adv), m.create(mask),
                    noClamp);
            PolicyLoss.Result dirty = PolicyLoss.compute(m.create(lpBad), m.create(oldBad), m.create(adv),
                    m.create(mask), noClamp);
            assertArrayEquals(clean.loss().toFloatArray(), dirty.loss().toFloatArray(), 0f);
            for (LossAggregation mode : LossAggregation.values()) {
                float c = clean.aggregate(mode, m.create(mask), 3f, 2, 3f).getFloat();
                float d = dirty.aggregate(mode, m.create(mask), 3f, 2, 3f).getFloat();
                assertEquals(c, d, 0f, mode.wireName());
                assertTrue(Float.isFinite(d));
            }
            assertEquals(clean.fractions(m.create(mask)), dirty.fractions(m.create(mask)));
        }
    }

    // GSPO, band [0.8, 1.2], masked slots hold junk:
    //   seq 0: lp - old = [0.2, 0.4], |y| = 2: log s = 0.3, s = 1.3498588; A = 1:
    //          -A*s = -1.3498588, -A*clip = -1.2 -> -1.2 (high clip)
    //   seq 1: lp - old = [-0.6], |y| = 1: s = exp(-0.6) = 0.5488116; A = -2:
    //          -A*s = 1.0976233, -A*clip = 1.6 -> 1.6 (low clip)
    //   seq 2: no valid token: loss 0, ratio 1, not counted in the fractions
    //   mean over the 2 sequences of the step: (-1.2 + 1.6) / 2 = 0.2
    private static final float[][] GSPO_LP = {{0.2f, 0.4f, 1e30f}, {-0.6f, -1e30f, 1e30f}, {5f, 5f, 5f}};
    private static final float[][] GSPO_MASK = {{1f, 1f, 0f}, {1f, 0f, 0f}, {0f, 0f, 0f}};
    private static final float[] GSPO_ADV = {1f, -2f, 1e30f};

    @Test
    void gspoClipsTheLengthNormalisedSequenceRatio() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(GSPO_MASK);
            PolicyLoss.Result r = PolicyLosses.byName("gspo").compute(m.create(GSPO_LP), m.zeros(mask.getShape()),
                    m.create(GSPO_ADV), mask, PolicyLoss.ClipParams.of(0.2f, 0.2f));
            assertTrue(r.sequenceLevel());
            assertArrayEquals(new float[] {1.3498588f, 0.5488116f, 1f}, r.ratio().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {-1.2f, 1.6f, 0f}, r.loss().toFloatArray(), 1e-6f);
            PolicyLoss.ClipFractions f = r.fractions(mask);
            assertEquals(0.5f, f.low(), 1e-6f);
            assertEquals(0.5f, f.high(), 1e-6f);
            assertEquals(0.2f, r.aggregate(LossAggregation.SEQ_MEAN_TOKEN_MEAN, mask, 3f, 2, 0f).getFloat(), 1e-6f);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> r.aggregate(LossAggregation.TOKEN_MEAN, mask, 3f, 2, 0f));
            assertTrue(e.getMessage().contains("seq-mean-token-mean"), e.getMessage());
            // per-token advantages are not GSPO's
            assertThrows(IllegalArgumentException.class, () -> GspoLoss.compute(m.create(GSPO_LP),
                    m.zeros(mask.getShape()), m.zeros(mask.getShape()), mask, PolicyLoss.ClipParams.of(0.2f, 0.2f)));
        }
    }

    @Test
    void gspoGradientIsSpreadOverTheValidTokens() {
        // one sequence, lp - old = [0.1, -0.3], third slot masked: log s = -0.1, s = 0.9048374 (inside the band)
        // loss = -A * s with A = 1; d loss / d lp_t = -A * s / |y| = -0.4524187 on valid tokens, 0 on the masked one
        float[] g = gradientOfSum("gspo", new float[][] {{0.1f, -0.3f, 9f}}, new float[][] {{1f}},
                new float[][] {{1f, 1f, 0f}}, PolicyLoss.ClipParams.of(0.2f, 0.2f));
        assertArrayEquals(new float[] {-0.4524187f, -0.4524187f, 0f}, g, 1e-6f);
    }

    @Test
    void badClipSettingsAreRejectedWithTheArgumentNamed() {
        IllegalArgumentException high = assertThrows(IllegalArgumentException.class,
                () -> PolicyLoss.ClipParams.of(0.2f, 0.1f));
        assertTrue(high.getMessage().startsWith("clipHigh must be finite and >= clipLow"), high.getMessage());
        assertTrue(high.getMessage().contains("clipHigh=0.1 clipLow=0.2"), high.getMessage());
        for (float c : new float[] {1f, 0.5f, 0f, -3f, Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PolicyLoss.ClipParams.of(0.2f, 0.2f).withDualClip(c));
            assertTrue(e.getMessage().startsWith("dualClipC must be a finite number > 1"), e.getMessage());
            assertTrue(e.getMessage().endsWith("got " + c), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> PolicyLoss.ClipParams.of(1f, 1f));       // 1 - clipLow = 0
        assertThrows(IllegalArgumentException.class, () -> PolicyLoss.ClipParams.of(-0.1f, 0.2f));
        assertThrows(IllegalArgumentException.class,
                () -> PolicyLoss.ClipParams.of(0.2f, 0.2f).withLogRatioLimit(0f));
    }

    @Test
    void eachLossChecksWhetherItUsesDualClip() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[][] {{-1f}});
            NDArray adv = m.create(new float[] {1f});
            NDArray mask = m.ones(lp.getShape());
            PolicyLoss.ClipParams dual = PolicyLoss.ClipParams.of(0.2f, 0.2f).withDualClip(3f);
            PolicyLoss.ClipParams plain = PolicyLoss.ClipParams.of(0.2f, 0.2f);
            assertThrows(IllegalArgumentException.class,
                    () -> PolicyLosses.byName("ppo_clip").compute(lp, lp, adv, mask, dual));
            assertThrows(IllegalArgumentException.class,
                    () -> PolicyLosses.byName("dual_clip").compute(lp, lp, adv, mask, plain));
            assertThrows(IllegalArgumentException.class,
                    () -> PolicyLosses.byName("gspo").compute(lp, lp, adv, mask, dual));
        }
    }

    @Test
    void namesAndUnknownNames() {
        assertEquals(List.of("ppo_clip", "dual_clip", "gspo"), PolicyLosses.names());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicyLosses.byName("vanilla"));
        assertEquals("unknown policy loss \"vanilla\"; allowed: ppo_clip, dual_clip, gspo", e.getMessage());
    }

    /** d (sum of the loss entries) / d lp through DJL autograd. */
    private static float[] gradientOfSum(String loss, float[][] lp, float[][] advantages, float[][] mask,
                                         PolicyLoss.ClipParams params) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logProbs = m.create(lp);
            logProbs.setRequiresGradient(true);
            // Only one GradientCollector may be open per JVM: close it before anything else runs.
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray advantage = advantages[0].length == 1 ? m.create(advantages).reshape(advantages.length)
                        : m.create(advantages);
                PolicyLoss.Result r = PolicyLosses.byName(loss).compute(logProbs, m.zeros(logProbs.getShape()),
                        advantage, m.create(mask), params);
                collector.backward(r.loss().sum());
            }
            return logProbs.getGradient().toFloatArray();
        }
    }
}
