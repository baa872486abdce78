package troupe.trainers.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTaskTest {

    @TempDir
    Path dir;

    private Path write(String name, String... lines) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private static String line(String prompt, String answer) {
        return "{\"prompt\": \"" + prompt + "\", \"answer\": \"" + answer + "\"}";
    }

    @Test
    void readsTrainAndEvalFilesAndSkipsBlankLines() throws IOException {
        Path train = write("train.jsonl", line("a=", "1"), "", "   ", line("b=", "22"), line("c=", "333"));
        Path eval = write("eval.jsonl", line("d=", "4444"), line("b=", "22"));
        JsonlTask task = new JsonlTask(train, eval);
        assertEquals("jsonl", task.name());
        assertEquals(List.of(new Example("d=", "4444"), new Example("b=", "22")), task.heldOut());
        // "b=" is an eval prompt, so it is removed from training
        Set<Example> labelled = new HashSet<>(task.labelled(2, 1L));
        assertEquals(Set.of(new Example("a=", "1"), new Example("c=", "333")), labelled);
        assertThrows(IllegalArgumentException.class, () -> task.labelled(3, 1L));
        Random random = new Random(0);
        for (int i = 0; i < 1_000; i++) {
            assertFalse(task.trainPrompt(random).prompt().equals("b="));
        }
        assertEquals(4, task.maxAnswerLength());
        assertEquals(task.labelled(2, 9L), task.labelled(2, 9L));
    }

    @Test
    void withoutEvalFileTheLastTenPercentIsHeldOut() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            lines.add(line("q" + i + "=", Integer.toString(i)));
        }
        JsonlTask task = new JsonlTask(write("all.jsonl", lines.toArray(new String[0])), null);
        // 20 lines: the last 2 (q18, q19) are held out, 18 remain for training
        assertEquals(List.of(new Example("q18=", "18"), new Example("q19=", "19")), task.heldOut());
        List<Example> labelled = task.labelled(18, 3L);
        assertEquals(18, new HashSet<>(labelled).size());
        for (Example e : labelled) {
            assertFalse(e.prompt().equals("q18=") || e.prompt().equals("q19="), e.toString());
        }
    }

    @Test
    void badJsonNamesFileAndLine() throws IOException {
        Path file = write("data.jsonl", line("a=", "1"), "", "{\"prompt\": \"b=\", \"answer\": ");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTask(file, null));
        assertTrue(e.getMessage().startsWith(file + ":3: not valid JSON: "), e.getMessage());
    }

    @Test
    void lenientJsonIsRejected() throws IOException {
        Path file = write("data.jsonl", line("a=", "1"), "{prompt: 'b=', answer: '2'}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTask(file, null));
        assertTrue(e.getMessage().startsWith(file + ":2: not valid JSON: "), e.getMessage());
        Path twoValues = write("two.jsonl", line("a=", "1") + " " + line("b=", "2"));
        IllegalArgumentException e2 =
                assertThrows(IllegalArgumentException.class, () -> new JsonlTask(twoValues, null));
        assertTrue(e2.getMessage().startsWith(twoValues + ":1: not valid JSON: "), e2.getMessage());
    }

    @Test
    void missingFieldNamesFileLineAndField() throws IOException {
        Path file = write("data.jsonl", line("a=", "1"), line("b=", "2"), "", "", "", "", "{\"prompt\": \"g=\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTask(file, null));
        assertEquals(file + ":7: field \"answer\" is missing", e.getMessage());
    }

    @Test
    void wrongTypeNamesFileLineAndField() throws IOException {
        Path file = write("data.jsonl", "{\"prompt\": 5, \"answer\": \"5\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTask(file, null));
        assertEquals(file + ":1: field \"prompt\" must be a string, got 5", e.getMessage());
        Path notObject = write("array.jsonl", line("a=", "1"), "[\"a=\", \"1\"]");
        IllegalArgumentException e2 =
                assertThrows(IllegalArgumentException.class, () -> new JsonlTask(notObject, null));
        assertTrue(e2.getMessage().startsWith(notObject + ":2: expected a JSON object"), e2.getMessage());
    }

    @Test
    void errorsInTheEvalFileNameTheEvalFile() throws IOException {
        Path train = write("train.jsonl", line("a=", "1"));
        Path eval = write("eval.jsonl", "{\"prompt\": \"b=\", \"answer\": null}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTask(train, eval));
        assertEquals(eval + ":1: field \"answer\" must be a string, got null", e.getMessage());
    }

    @Test
    void missingFileAndNothingLeftToTrainOnAreReported() throws IOException {
        Path missing = dir.resolve("nope.jsonl");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JsonlTask(missing, null));
        assertTrue(e.getMessage().startsWith("cannot read " + missing), e.getMessage());
        Path train = write("train.jsonl", line("a=", "1"));
        Path eval = write("eval.jsonl", line("a=", "1"));
        assertThrows(IllegalArgumentException.class, () -> new JsonlTask(train, eval));
    }
}
