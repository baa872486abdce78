package troupe.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FlowScheduleTest {

    @Test
    void shiftOneIsTheLinearSchedule() {
        // linspace(1, 0, 5); t' = 1*t / (1 + 0*t) = t
        assertArrayEquals(new float[] {1f, 0.75f, 0.5f, 0.25f, 0f}, FlowSchedule.sigmas(4, 1f), 0f);
    }

    @Test
    void shiftThreeMapsByTheSd3TimeShift() {
        // t' = 3t / (1 + 2t) on linspace(1, 0, 5) = {1, 0.75, 0.5, 0.25, 0}
        double[] hand = {
            3 * 1.0 / (1 + 2 * 1.0),     // 1
            3 * 0.75 / (1 + 2 * 0.75),   // 2.25 / 2.5 = 0.9
            3 * 0.5 / (1 + 2 * 0.5),     // 1.5 / 2 = 0.75
            3 * 0.25 / (1 + 2 * 0.25),   // 0.75 / 1.5 = 0.5
            0.0,
        };
        float[] sigmas = FlowSchedule.sigmas(4, 3f);
        assertEquals(5, sigmas.length);
        for (int i = 0; i < hand.length; i++) {
            assertEquals(hand[i], sigmas[i], 1e-7, "sigma " + i);
        }
        assertArrayEquals(new float[] {1f, 0.9f, 0.75f, 0.5f, 0f}, sigmas, 1e-7f);
    }

    @Test
    void endsArePinnedAndTheScheduleDecreases() {
        assertArrayEquals(new float[] {1f, 0f}, FlowSchedule.sigmas(1, 3f), 0f);
        float[] sigmas = FlowSchedule.sigmas(10, 3f);
        assertEquals(1f, sigmas[0], 0f);
        assertEquals(0f, sigmas[10], 0f);
        for (int i = 0; i < 10; i++) {
            assertTrue(sigmas[i + 1] < sigmas[i], "step " + i + " must have dt < 0");
        }
    }

    @Test
    void rejectsBadArgumentsNamingTheValue() {
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class,
                () -> FlowSchedule.sigmas(0, 1f));
        assertTrue(steps.getMessage().contains("0"), steps.getMessage());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> FlowSchedule.sigmas(4, 0f));
        assertTrue(zero.getMessage().contains("0.0"), zero.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> FlowSchedule.sigmas(4, -2f));
        assertTrue(negative.getMessage().contains("-2.0"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FlowSchedule.sigmas(4, Float.NaN));
    }
}
