package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class KlControllerTest {

    @Test
    void fixedNeverChanges() {
        KlController c = KlController.create("fixed", 0.05f, 0f, 0f);
        assertEquals(0.05f, c.beta());
        assertSame(c, c.update(100f, 256));
    }

    @Test
    void adaptiveMovesTowardsTheTarget() {
        // beta 0.1, target 6, horizon 10000, 256 samples per step
        KlController c = KlController.create("adaptive", 0.1f, 6f, 10000f);
        // KL 9: e = clip(9/6 - 1 = 0.5) = 0.2; beta = 0.1 * (1 + 0.2 * 256 / 10000) = 0.1 * 1.00512 = 0.100512
        assertEquals(0.100512f, c.update(9f, 256).beta(), 1e-8f);
        // KL 5.7: e = 5.7/6 - 1 = -0.05; beta = 0.1 * (1 - 0.05 * 0.0256) = 0.1 * 0.99872 = 0.099872
        assertEquals(0.099872f, c.update(5.7f, 256).beta(), 1e-8f);
        // KL -3 (k1 can be negative): e = clip(-1.5) = -0.2; beta = 0.1 * (1 - 0.00512) = 0.099488
        assertEquals(0.099488f, c.update(-3f, 256).beta(), 1e-8f);
        // state is carried: two updates at KL 9 give 0.1 * 1.00512^2 = 0.1 * 1.0102662 = 0.10102662
        assertEquals(0.10102662f, c.update(9f, 256).update(9f, 256).beta(), 1e-8f);
        // the original is untouched (pure)
        assertEquals(0.1f, c.beta());
        // never negative: 60000 steps at e = -0.2 would give 0.1 * (1 - 1.2) < 0
        assertEquals(0f, c.update(0f, 60000).beta());
    }

    @Test
    void badArgumentsAreRejectedWithTheArgumentNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KlController.create("adaptive", 0.1f, 0f, 1f))
                .getMessage().startsWith("targetKl"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KlController.create("adaptive", 0.1f, 6f, 0f))
                .getMessage().startsWith("horizon"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KlController.create("fixed", -1f, 0f, 0f))
                .getMessage().startsWith("beta"));
        KlController c = KlController.create("adaptive", 0.1f, 6f, 10000f);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.update(Float.NaN, 1))
                .getMessage().startsWith("observedKl"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.update(1f, -1))
                .getMessage().startsWith("steps"));
    }

    @Test
    void namesAndUnknownNames() {
        assertEquals(List.of("fixed", "adaptive"), KlController.names());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> KlController.create("pid", 0.1f, 6f, 1f));
        assertEquals("unknown KL controller \"pid\"; allowed: fixed, adaptive", e.getMessage());
    }
}
