package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class SftLossTest {

    @Test
    void maskedTokenMeanOfNegativeLogProbs() {
        try (NDManager m = NDManager.newBaseManager()) {
            // Row 1's positions after the first are masked and hold garbage (-1e30) that must not count.
            NDArray lp = m.create(new float[][] {{-1f, -2f, -3f}, {-0.5f, -1e30f, -9f}});
            NDArray mask = m.create(new float[][] {{1f, 1f, 1f}, {1f, 0f, 0f}});
            // -(-1 - 2 - 3 - 0.5) / 4 = 6.5 / 4 = 1.625
            assertEquals(1.625f, SftLoss.loss(lp, mask, 4f).getFloat(), 1e-6f);
            // a global count of 8 (this is half of the step's tokens) halves it: 6.5 / 8 = 0.8125
            assertEquals(0.8125f, SftLoss.loss(lp, mask, 8f).getFloat(), 1e-6f);
        }
    }

    @Test
    void emptyMaskGivesZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[][] {{-1f, -2f}});
            NDArray mask = m.create(new float[][] {{0f, 0f}});
            assertEquals(0f, Math.abs(SftLoss.loss(lp, mask, 0f).getFloat()));
        }
    }
}
