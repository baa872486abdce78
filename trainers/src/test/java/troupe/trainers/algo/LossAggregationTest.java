package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class LossAggregationTest {

    // Two rows of different lengths: row 0 has 3 valid tokens, row 1 has 1.
    private static final float[][] LOSS = {{1f, 2f, 3f, 0f}, {4f, 0f, 0f, 0f}};
    private static final float[][] MASK = {{1f, 1f, 1f, 0f}, {1f, 0f, 0f, 0f}};

    @Test
    void tokenMeanAndSeqMeanTokenMeanDiffer() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = m.create(LOSS);
            NDArray mask = m.create(MASK);
            // token-mean: (1 + 2 + 3 + 4) / 4 tokens = 2.5
            assertEquals(2.5f, LossAggregation.TOKEN_MEAN.aggregate(loss, mask, 4f, 2).getFloat(), 1e-6f);
            // seq-mean-token-mean: row means (1+2+3)/3 = 2 and 4/1 = 4, mean over 2 rows = 3
            assertEquals(3f, LossAggregation.SEQ_MEAN_TOKEN_MEAN.aggregate(loss, mask, 4f, 2).getFloat(), 1e-6f);
        }
    }

    @Test
    void maskedPositionsChangeNothingEvenWhenHuge() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(MASK);
            NDArray garbage = m.create(new float[][] {{1f, 2f, 3f, 1e30f}, {4f, -1e30f, 7e29f, 1e30f}});
            assertEquals(2.5f, LossAggregation.TOKEN_MEAN.aggregate(garbage, mask, 4f, 2).getFloat(), 1e-6f);
            assertEquals(3f, LossAggregation.SEQ_MEAN_TOKEN_MEAN.aggregate(garbage, mask, 4f, 2).getFloat(), 1e-6f);
        }
    }

    @Test
    void microBatchesWithGlobalCountsSumToTheFullBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[][] loss = {{1f, 2f, 3f}, {4f, 5f, 0f}, {6f, 0f, 0f}};
            float[][] mask = {{1f, 1f, 1f}, {1f, 1f, 0f}, {1f, 0f, 0f}};
            // full batch token-mean: (1+2+3+4+5+6) / 6 = 3.5
            float full = LossAggregation.TOKEN_MEAN.aggregate(m.create(loss), m.create(mask), 6f, 3).getFloat();
            assertEquals(3.5f, full, 1e-6f);
            // micro-batch A = rows 0-1 (5 tokens, sum 15), B = row 2 (1 token, sum 6); global count 6:
            // 15/6 + 6/6 = 2.5 + 1 = 3.5. Local means would give 15/5 + 6/1 = 9 (or 4.5 averaged): wrong.
            float a = LossAggregation.TOKEN_MEAN.aggregate(
                    m.create(new float[][] {loss[0], loss[1]}), m.create(new float[][] {mask[0], mask[1]}), 6f, 3)
                    .getFloat();
            float b = LossAggregation.TOKEN_MEAN.aggregate(
                    m.create(new float[][] {loss[2]}), m.create(new float[][] {mask[2]}), 6f, 3).getFloat();
            assertEquals(2.5f, a, 1e-6f);
            assertEquals(1f, b, 1e-6f);
            assertEquals(full, a + b, 1e-6f);

            // seq-mean-token-mean: row means 2, 4.5, 6 -> full (2 + 4.5 + 6) / 3 = 4.1666667;
            // micro-batches (2 + 4.5)/3 + 6/3 = 2.1666667 + 2 = 4.1666667
            float seqFull = LossAggregation.SEQ_MEAN_TOKEN_MEAN
                    .aggregate(m.create(loss), m.create(mask), 6f, 3).getFloat();
            float seqA = LossAggregation.SEQ_MEAN_TOKEN_MEAN.aggregate(
                    m.create(new float[][] {loss[0], loss[1]}), m.create(new float[][] {mask[0], mask[1]}), 6f, 3)
                    .getFloat();
            float seqB = LossAggregation.SEQ_MEAN_TOKEN_MEAN.aggregate(
                    m.create(new float[][] {loss[2]}), m.create(new float[][] {mask[2]}), 6f, 3).getFloat();
            assertEquals(12.5f / 3f, seqFull, 1e-6f);
            assertEquals(seqFull, seqA + seqB, 1e-6f);
        }
    }

    @Test
    void emptyMaskGivesZeroNotNaN() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = m.create(new float[][] {{5f, 6f}});
            NDArray mask = m.create(new float[][] {{0f, 0f}});
            assertEquals(0f, LossAggregation.TOKEN_MEAN.aggregate(loss, mask, 0f, 0).getFloat());
            assertEquals(0f, LossAggregation.SEQ_MEAN_TOKEN_MEAN.aggregate(loss, mask, 0f, 0).getFloat());
        }
    }

    @Test
    void namesRoundTripAndUnknownNamesListTheAllowedOnes() {
        for (LossAggregation mode : LossAggregation.values()) {
            assertSame(mode, LossAggregation.fromName(mode.wireName()));
        }
        assertEquals("token-mean", LossAggregation.TOKEN_MEAN.wireName());
        assertEquals("seq-mean-token-mean", LossAggregation.SEQ_MEAN_TOKEN_MEAN.wireName());
        assertEquals(java.util.List.of("token-mean", "seq-mean-token-mean", "seq-mean-token-sum",
                "seq-mean-token-sum-norm"), LossAggregation.names());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LossAggregation.fromName("token-sum"));
        assertEquals("unknown loss aggregation \"token-sum\"; allowed: token-mean, seq-mean-token-mean, "
                + "seq-mean-token-sum, seq-mean-token-sum-norm", e.getMessage());
    }

    @Test
    void tokenSumModesByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = m.create(LOSS);
            NDArray mask = m.create(MASK);
            // row token sums 6 and 4: seq-mean-token-sum = (6 + 4) / 2 = 5
            assertEquals(5f, LossAggregation.SEQ_MEAN_TOKEN_SUM.aggregate(loss, mask, 4f, 2).getFloat(), 1e-6f);
            // seq-mean-token-sum-norm with constant 4 (the padded length): (6 + 4) / (2 * 4) = 1.25
            assertEquals(1.25f,
                    LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM.aggregate(loss, mask, 4f, 2, 4f).getFloat(), 1e-6f);
            // junk at masked positions changes nothing
            NDArray garbage = m.create(new float[][] {{1f, 2f, 3f, 1e30f}, {4f, -1e30f, 7e29f, 1e30f}});
            assertEquals(5f, LossAggregation.SEQ_MEAN_TOKEN_SUM.aggregate(garbage, mask, 4f, 2).getFloat(), 1e-6f);
            assertEquals(1.25f,
                    LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM.aggregate(garbage, mask, 4f, 2, 4f).getFloat(), 1e-6f);
        }
    }

    @Test
    void tokenSumModesAccumulateOverMicroBatchesOfDifferentLengths() {
        try (NDManager m = NDManager.newBaseManager()) {
            // micro-batch A: rows 0-1 padded to 3 columns (token sums 6 and 9); B: row 2 alone, 1 column (sum 6)
            NDArray lossA = m.create(new float[][] {{1f, 2f, 3f}, {4f, 5f, -8f}});
            NDArray maskA = m.create(new float[][] {{1f, 1f, 1f}, {1f, 1f, 0f}});
            NDArray lossB = m.create(new float[][] {{6f}});
            NDArray maskB = m.create(new float[][] {{1f}});
            // seq-mean-token-sum over the step's 3 sequences: (6 + 9 + 6) / 3 = 7 = 15/3 + 6/3
            LossAggregation sum = LossAggregation.SEQ_MEAN_TOKEN_SUM;
            assertEquals(7f, sum.aggregate(lossA, maskA, 6f, 3).getFloat() + sum.aggregate(lossB, maskB, 6f, 3)
                    .getFloat(), 1e-6f);
            // seq-mean-token-sum-norm, constant 3: 21 / (3 * 3) = 2.3333333 = 15/9 + 6/9
            LossAggregation norm = LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM;
            assertEquals(21f / 9f, norm.aggregate(lossA, maskA, 6f, 3, 3f).getFloat()
                    + norm.aggregate(lossB, maskB, 6f, 3, 3f).getFloat(), 1e-6f);
        }
    }

    @Test
    void normModeNeedsItsConstant() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = m.create(LOSS);
            NDArray mask = m.create(MASK);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM.aggregate(loss, mask, 4f, 2));
            assertEquals("seq-mean-token-sum-norm needs a finite normConstant > 0 (e.g. the maximum response "
                    + "length), got 0.0", e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM.aggregate(loss, mask, 4f, 2, -1f));
            // the other modes ignore it
            assertEquals(2.5f, LossAggregation.TOKEN_MEAN.aggregate(loss, mask, 4f, 2, -1f).getFloat(), 1e-6f);
        }
    }
}
