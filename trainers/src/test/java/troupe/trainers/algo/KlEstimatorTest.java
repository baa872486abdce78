package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class KlEstimatorTest {

    @Test
    void k3IsExpMinusXMinusOneOfRefMinusLogProb() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[] {0f, -1f, -2f, -0.5f});
            NDArray ref = m.create(new float[] {0.5f, -2f, -2f, -1.5f});
            // x = ref - lp = 0.5, -1, 0, -1
            // exp(0.5) - 0.5 - 1 = 1.6487213 - 1.5 = 0.1487213
            // exp(-1) + 1 - 1   = 0.3678794
            // exp(0) - 0 - 1    = 0
            // exp(-1) + 1 - 1   = 0.3678794
            float[] k3 = KlEstimator.k3(lp, ref).toFloatArray();
            assertArrayEquals(new float[] {0.1487213f, 0.3678794f, 0f, 0.3678794f}, k3, 1e-6f);
        }
    }

    @Test
    void k3IsClampedLikeVerl() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[] {0f, 0f, 0f});
            NDArray ref = m.create(new float[] {30f, -30f, 3f});
            // x = 30 -> clamped to 20; exp(20) - 21 = 4.85e8 -> clamped to 10
            // x = -30 -> clamped to -20; exp(-20) + 20 - 1 = 19.000000002 -> clamped to 10
            // x = 3: exp(3) - 4 = 20.0855369 - 4 = 16.0855369 -> clamped to 10
            assertArrayEquals(new float[] {10f, 10f, 10f}, KlEstimator.k3(lp, ref).toFloatArray(), 0f);
            NDArray lp2 = m.create(new float[] {0f});
            NDArray ref2 = m.create(new float[] {-2f});
            // x = -2: exp(-2) + 2 - 1 = 0.1353353 + 1 = 1.1353353 (inside the clamp)
            assertArrayEquals(new float[] {1.1353353f}, KlEstimator.k3(lp2, ref2).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void k1AndK2() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = m.create(new float[] {-1f, -3f});
            NDArray ref = m.create(new float[] {-2f, -1f});
            // d = lp - ref = 1, -2; k1 = d; k2 = d^2 / 2 = 0.5, 2
            assertArrayEquals(new float[] {1f, -2f}, KlEstimator.k1(lp, ref).toFloatArray(), 0f);
            assertArrayEquals(new float[] {0.5f, 2f}, KlEstimator.k2(lp, ref).toFloatArray(), 0f);
        }
    }
}
