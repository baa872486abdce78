package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class EntropyBonusTest {

    @Test
    void perTokenEntropyMaskedMeanAndBonus() {
        try (NDManager m = NDManager.newBaseManager()) {
            float ln3 = (float) Math.log(3);
            // position 0: logits [0, 0] -> uniform, H = ln 2 = 0.6931472
            // position 1: logits [ln 3, 0] -> p = [0.75, 0.25],
            //   H = 0.75 ln(4/3) + 0.25 ln 4 = 0.2157616 + 0.3465736 = 0.5623351
            // position 2: masked, junk logits
            NDArray logits = m.create(new float[] {0f, 0f, ln3, 0f, 1e30f, -1e30f}, new Shape(1, 3, 2));
            NDArray h = EntropyBonus.perToken(logits, 1f);
            assertArrayEquals(new float[] {0.6931472f, 0.5623351f}, new float[] {h.toFloatArray()[0],
                h.toFloatArray()[1]}, 1e-6f);
            NDArray mask = m.create(new float[][] {{1f, 1f, 0f}});
            // masked mean (0.6931472 + 0.5623351) / 2 = 0.6277412
            assertEquals(0.6277412f, EntropyBonus.maskedMean(h, mask), 1e-6f);
            // bonus term with coefficient 0.01, token-mean over 2 tokens: -0.01 * 0.6277412 = -0.006277412
            assertEquals(-0.006277412f, EntropyBonus.loss(h, mask, 0.01f, LossAggregation.TOKEN_MEAN, 2f, 1, 0f)
                    .getFloat(), 1e-8f);
        }
    }

    @Test
    void negativeCoefficientIsRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray h = m.create(new float[][] {{1f}});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EntropyBonus.loss(h, h, -0.1f, LossAggregation.TOKEN_MEAN, 1f, 1, 0f));
            assertEquals("coefficient must be a finite number >= 0, got -0.1", e.getMessage());
        }
    }
}
