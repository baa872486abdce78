package troupe.trainers.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ProceduralTaskTest {

    private static final Pattern ADDITION = Pattern.compile("(\\d+)\\+(\\d+)=");
    private static final Pattern REVERSE = Pattern.compile("rev (\\d+)=");
    private static final Pattern SORT = Pattern.compile("sort (\\d+)=");

    private static List<Task> tasks() {
        return List.of(new AdditionTask(1, 2, 200, 7L), new ReverseTask(1, 4, 200, 7L), new SortTask(1, 4, 200, 7L));
    }

    @Test
    void heldOutPromptsAreNeverTrainedOn() {
        for (Task task : tasks()) {
            assertHeldOutDisjoint(task, 2_000);
        }
    }

    @Test
    void heldOutIsExcludedEvenWhenItIsHalfOfAllPrompts() {
        // One-digit addition has 10 * 10 = 100 prompts; 50 held out. Without the held-out set enforced, about half
        // of the training draws would be held-out prompts.
        Task task = new AdditionTask(1, 1, 50, 3L);
        assertEquals(50, task.heldOut().size());
        assertHeldOutDisjoint(task, 50);
        Set<String> allLabelled = new HashSet<>();
        for (Example e : task.labelled(50, 11L)) {
            allLabelled.add(e.prompt());
        }
        for (Example e : task.heldOut()) {
            allLabelled.add(e.prompt());
        }
        assertEquals(100, allLabelled.size()); // training and held out together cover the whole space
        assertThrows(IllegalArgumentException.class, () -> task.labelled(51, 11L));
    }

    private static void assertHeldOutDisjoint(Task task, int labelledCount) {
        Set<String> heldOut = new HashSet<>();
        for (Example e : task.heldOut()) {
            heldOut.add(e.prompt());
        }
        assertEquals(task.heldOut().size(), heldOut.size(), task.name() + ": held-out prompts are distinct");
        Random random = new Random(1);
        for (int i = 0; i < 10_000; i++) {
            Example e = task.trainPrompt(random);
            assertFalse(heldOut.contains(e.prompt()), task.name() + ": train prompt " + e.prompt() + " is held out");
        }
        List<Example> labelled = task.labelled(labelledCount, 5L);
        assertEquals(labelledCount, labelled.size());
        Set<String> labelledPrompts = new HashSet<>();
        for (Example e : labelled) {
            assertFalse(heldOut.contains(e.prompt()), task.name() + ": labelled " + e.prompt() + " is held out");
            assertTrue(labelledPrompts.add(e.prompt()), task.name() + ": labelled " + e.prompt() + " repeats");
        }
    }

    @Test
    void additionAnswersAreSumsAndOperandsHaveTheRequestedDigits() {
        Task task = new AdditionTask(2, 3, 100, 9L);
        List<Example> sample = new ArrayList<>(task.heldOut());
        sample.addAll(task.labelled(500, 1L));
        Random random = new Random(2);
        for (int i = 0; i < 500; i++) {
            sample.add(task.trainPrompt(random));
        }
        Set<Integer> digitCounts = new HashSet<>();
        for (Example e : sample) {
            Matcher m = ADDITION.matcher(e.prompt());
            assertTrue(m.matches(), e.prompt());
            for (int group = 1; group <= 2; group++) {
                String operand = m.group(group);
                assertTrue(operand.length() >= 2 && operand.length() <= 3, e.prompt());
                assertFalse(operand.startsWith("0"), e.prompt());
                digitCounts.add(operand.length());
            }
            long sum = Long.parseLong(m.group(1)) + Long.parseLong(m.group(2));
            assertEquals(Long.toString(sum), e.answer(), e.prompt());
            assertTrue(e.answer().length() <= task.maxAnswerLength());
            assertPrintableAscii(e);
        }
        assertEquals(Set.of(2, 3), digitCounts);
        assertEquals(4, task.maxAnswerLength());
    }

    @Test
    void oneDigitOperandsIncludeZero() {
        Task task = new AdditionTask(1, 1, 10, 1L);
        boolean sawZero = false;
        for (Example e : task.labelled(90, 2L)) {
            sawZero |= e.prompt().startsWith("0+") || e.prompt().contains("+0=");
        }
        assertTrue(sawZero);
    }

    @Test
    void reverseAndSortAnswersAreCorrect() {
        Task reverse = new ReverseTask(2, 6, 100, 4L);
        Task sort = new SortTask(2, 6, 100, 4L);
        Random random = new Random(3);
        for (int i = 0; i < 500; i++) {
            Example r = reverse.trainPrompt(random);
            Matcher rm = REVERSE.matcher(r.prompt());
            assertTrue(rm.matches(), r.prompt());
            assertEquals(new StringBuilder(rm.group(1)).reverse().toString(), r.answer());
            assertTrue(rm.group(1).length() >= 2 && rm.group(1).length() <= 6);
            assertPrintableAscii(r);

            Example s = sort.trainPrompt(random);
            Matcher sm = SORT.matcher(s.prompt());
            assertTrue(sm.matches(), s.prompt());
            char[] digits = sm.group(1).toCharArray();
            Arrays.sort(digits);
            assertEquals(new String(digits), s.answer());
            assertPrintableAscii(s);
        }
        assertEquals(6, reverse.maxAnswerLength());
        assertEquals(6, sort.maxAnswerLength());
    }

    @Test
    void theFormatsOfTheBrief() {
        assertEquals(new Example("17+5=", "22"), AdditionTask.example(17, 5));
        assertEquals(new Example("rev 3071=", "1703"), ReverseTask.example("3071"));
        assertEquals(new Example("sort 3071=", "0137"), SortTask.example("3071"));
    }

    @Test
    void sameSeedSameTaskDifferentSeedDifferentHeldOut() {
        Task a = new AdditionTask(1, 3, 100, 42L);
        Task b = new AdditionTask(1, 3, 100, 42L);
        Task c = new AdditionTask(1, 3, 100, 43L);
        assertEquals(a.heldOut(), b.heldOut());
        assertNotEquals(a.heldOut(), c.heldOut());
        assertEquals(a.labelled(300, 5L), b.labelled(300, 5L));
        assertNotEquals(a.labelled(300, 5L), a.labelled(300, 6L));
        Random ra = new Random(8);
        Random rb = new Random(8);
        for (int i = 0; i < 200; i++) {
            assertEquals(a.trainPrompt(ra), b.trainPrompt(rb));
        }
        assertEquals(new ReverseTask(1, 5, 50, 1L).heldOut(), new ReverseTask(1, 5, 50, 1L).heldOut());
        assertEquals(new SortTask(1, 5, 50, 1L).heldOut(), new SortTask(1, 5, 50, 1L).heldOut());
    }

    @Test
    void tooSmallASpaceIsRejected() {
        // 1-digit addition: 100 prompts, at most 50 may be held out.
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new AdditionTask(1, 1, 51, 1L));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        // 1-character strings: 10 prompts, at most 5 held out.
        assertThrows(IllegalArgumentException.class, () -> new ReverseTask(1, 1, 6, 1L));
        assertThrows(IllegalArgumentException.class, () -> new SortTask(1, 1, 6, 1L));
        new ReverseTask(1, 1, 5, 1L);
    }

    @Test
    void badRangesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new AdditionTask(0, 2, 10, 1L));
        assertThrows(IllegalArgumentException.class, () -> new AdditionTask(3, 2, 10, 1L));
        assertThrows(IllegalArgumentException.class, () -> new AdditionTask(1, 10, 10, 1L));
        assertThrows(IllegalArgumentException.class, () -> new ReverseTask(1, 19, 10, 1L));
        assertThrows(IllegalArgumentException.class, () -> new AdditionTask(1, 2, -1, 1L));
    }

    private static void assertPrintableAscii(Example e) {
        for (char ch : (e.prompt() + e.answer()).toCharArray()) {
            assertTrue(ch >= 32 && ch < 127, "not printable ASCII: " + e);
        }
    }
}
