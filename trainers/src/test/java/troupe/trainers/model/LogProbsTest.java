package troupe.trainers.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class LogProbsTest {

    @Test
    void matchesHandComputedValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // [B=1, T=2, V=3]; the large offsets check stability (a naive exp would overflow).
            float[] logits = {1f, 2f, 3f, 1000f, 1000f, 990f};
            NDArray x = manager.create(logits, new Shape(1, 2, 3));
            NDArray targets = manager.create(new int[] {0, 2}, new Shape(1, 2));
            float t = 0.5f;
            float[] expected = new float[2];
            float[] expectedEntropy = new float[2];
            for (int row = 0; row < 2; row++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < 3; v++) {
                    max = Math.max(max, logits[row * 3 + v] / t);
                }
                double sum = 0;
                for (int v = 0; v < 3; v++) {
                    sum += Math.exp(logits[row * 3 + v] / t - max);
                }
                double logZ = max + Math.log(sum);
                int target = row == 0 ? 0 : 2;
                expected[row] = (float) (logits[row * 3 + target] / t - logZ);
                double h = 0;
                for (int v = 0; v < 3; v++) {
                    double lp = logits[row * 3 + v] / t - logZ;
                    h -= Math.exp(lp) * lp;
                }
                expectedEntropy[row] = (float) h;
            }
            NDArray lp = LogProbs.tokenLogProbs(x, targets, t);
            assertEquals(new Shape(1, 2), lp.getShape());
            assertArrayEquals(expected, lp.toFloatArray(), 1e-4f);
            assertArrayEquals(expectedEntropy, LogProbs.entropy(x, t).toFloatArray(), 1e-5f);
            // temperature 1 and int64 targets
            NDArray lp1 = LogProbs.tokenLogProbs(x, targets.toType(ai.djl.ndarray.types.DataType.INT64, false), 1f);
            assertEquals((float) (1 - (3 + Math.log(Math.exp(-2) + Math.exp(-1) + 1))), lp1.toFloatArray()[0], 1e-5f);
        }
    }
}
