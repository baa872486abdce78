package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferencePairsTest {
  private static final String GOOD = "{\"prompt\": \"rev 123=\", \"chosen\": \"321\", \"rejected\": \"312\"}";

  private static Path write(Path dir, String... lines) throws Exception {
    Path f = dir.resolve("pairs.jsonl");
    Files.write(f, List.of(lines));
    return f;
  }

  @Test
  void malformedLinesNameFileLineAndField(@TempDir Path dir) throws Exception {
    String[][] cases = {
        {"{\"prompt\": \"rev 1=\", \"chosen\": \"1\"}", "field \"rejected\" is missing (a preference record needs "
            + "prompt, chosen, rejected)"},
        {"{\"prompt\": \"rev 1=\", \"chosen\": 5, \"rejected\": \"2\"}", "field \"chosen\" must be a string, got 5"},
        {"[1, 2]", "not a JSON object"},
        {"{\"prompt\": \"rev 1=\", \"chosen\": \"1\", \"rejected\": \"\u00e9\"}", "field \"rejected\": character U+00E9"},
        {"{not json", "pairs.jsonl:2: "},
    };
    for (String[] c : cases) {
      Path f = write(dir, GOOD, c[0]);
      var e = assertThrows(IllegalArgumentException.class, () -> PreferencePairs.read(f, 0, 0f, 1));
      assertTrue(e.getMessage().startsWith(f + ":2: "), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
  }

  @Test
  void badLinesUpToTheBudgetAreSkippedAndCounted(@TempDir Path dir) throws Exception {
    Path f = write(dir, GOOD, "{}", GOOD, "", "{\"prompt\": \"x\"}", GOOD);
    PreferencePairs pairs = PreferencePairs.read(f, 2, 0f, 1);
    assertEquals(2, pairs.skipped().count());
    assertTrue(pairs.skipped().first().startsWith(f + ":2: field \"prompt\" is missing"), pairs.skipped().first());
    assertEquals(3, pairs.nextTrainBatch(3).size());
    var e = assertThrows(IllegalArgumentException.class, () -> PreferencePairs.read(f, 1, 0f, 1));
    assertTrue(e.getMessage().contains(":5: ") && e.getMessage().contains("more than max_bad_lines 1"),
        e.getMessage());
  }

  @Test
  void theHeldOutSplitIsSeededAndEveryEpochVisitsEachTrainingPairOnce(@TempDir Path dir) throws Exception {
    String[] lines = new String[200];
    for (int i = 0; i < lines.length; i++) {
      lines[i] = "{\"prompt\": \"rev " + i + "=\", \"chosen\": \"" + i + "\", \"rejected\": \"0\"}";
    }
    Path f = write(dir, lines);
    PreferencePairs a = PreferencePairs.read(f, 0, 0.25f, 7);
    PreferencePairs b = PreferencePairs.read(f, 0, 0.25f, 7);
    assertEquals(a.heldOut(), b.heldOut());
    int held = a.heldOut().size();
    assertTrue(held > 30 && held < 70, "held out " + held);
    int train = 200 - held;
    Set<Integer> epoch = new HashSet<>(a.nextTrainBatch(train));
    assertEquals(train, epoch.size());
    epoch.retainAll(a.heldOut());
    assertTrue(epoch.isEmpty(), "a held-out pair was trained on");
    assertEquals("{\"prompt\": \"rev 0=\", \"chosen\": \"0\", \"rejected\": \"0\"}".length(), lines[0].length());
  }

  @Test
  void ktoReadsLabelledRecordsAndUnpairsPairs(@TempDir Path dir) throws Exception {
    Path f = write(dir, "{\"prompt\": \"rev 12=\", \"completion\": \"21\", \"label\": true}",
        "{\"prompt\": \"rev 12=\", \"completion\": \"12\", \"label\": false}", GOOD);
    UnpairedExamples examples = UnpairedExamples.read(f, 0, 0f, 1);
    List<Integer> all = examples.nextTrainBatch(4);
    assertEquals(2, all.stream().filter(examples::desirable).count()); // one labelled, one from the pair
    assertEquals(4, new HashSet<>(all).size());
    Path bad = write(dir, "{\"prompt\": \"rev 1=\", \"completion\": \"1\", \"label\": \"yes\"}");
    var e = assertThrows(IllegalArgumentException.class, () -> UnpairedExamples.read(bad, 0, 0f, 1));
    assertTrue(e.getMessage().contains(":1: field \"label\" must be true or false, got \"yes\""), e.getMessage());
  }
}
