package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class KlEstimatorsTest {

    @Test
    void eachNameGivesItsEstimator() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[] {-1f, -3f, 0f});
            NDArray ref = m.create(new float[] {-2f, -1f, -30f});
            // d = lp - ref = 1, -2, 30
            // k1 = d = 1, -2, 30 (no clamp, as verl)
            assertArrayEquals(new float[] {1f, -2f, 30f},
                    KlEstimators.byName("k1").estimate(lp, ref).toFloatArray(), 0f);
            // k2 = d^2 / 2 = 0.5, 2, 450
            assertArrayEquals(new float[] {0.5f, 2f, 450f},
                    KlEstimators.byName("k2").estimate(lp, ref).toFloatArray(), 0f);
            // k3 with x = ref - lp = -1, 2, -30:
            //   exp(-1) + 1 - 1 = 0.3678794; exp(2) - 2 - 1 = 4.3890561;
            //   x clamped to -20: exp(-20) + 20 - 1 = 19.0000000 -> value clamped to 10
            assertArrayEquals(new float[] {0.3678794f, 4.3890561f, 10f},
                    KlEstimators.byName("k3").estimate(lp, ref).toFloatArray(), 1e-5f);
        }
    }

    @Test
    void namesAndUnknownNames() {
        assertEquals(List.of("k1", "k2", "k3"), KlEstimators.names());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> KlEstimators.byName("low_var_kl"));
        assertEquals("unknown KL estimator \"low_var_kl\"; allowed: k1, k2, k3", e.getMessage());
    }
}
