package troupe.trainers.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExactMatchRewardTest {

    @Test
    void surroundingWhiteSpaceIsIgnoredEverythingElseCounts() {
        assertTrue(ExactMatchReward.isCorrect("22", "22"));
        assertTrue(ExactMatchReward.isCorrect(" 22\n", "22"));
        assertFalse(ExactMatchReward.isCorrect("2 2", "22"));
        assertFalse(ExactMatchReward.isCorrect("220", "22"));
        assertFalse(ExactMatchReward.isCorrect("022", "22"));
        assertFalse(ExactMatchReward.isCorrect("", "22"));
    }

    @Test
    void scoreUsesTheGivenValues() {
        assertEquals(1f, ExactMatchReward.score("22 ", "22", 1f, -0.5f));
        assertEquals(-0.5f, ExactMatchReward.score("23", "22", 1f, -0.5f));
    }
}
