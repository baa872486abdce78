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

/** The stages' view of preference and KTO files (the record parsing itself is tested in troupe.trainers.data). */
class PreferencePairsTest {
  private static final String GOOD = "{\"prompt\": \"rev 123=\", \"chosen\": \"321\", \"rejected\": \"312\"}";

  private static Path write(Path dir, String name, String... lines) throws Exception {
    Path f = dir.resolve(name);
    Files.write(f, List.of(lines));
    return f;
  }

  @Test
  void malformedLinesFailWithFileLineAndFieldUnlessWithinTheBudget(@TempDir Path dir) throws Exception {
    Path f = write(dir, "pairs.jsonl", GOOD, "{\"prompt\": \"rev 1=\", \"chosen\": \"1\"}", GOOD);
    var e = assertThrows(IllegalArgumentException.class, () -> PreferencePairs.read(f, 0, 0f, 1));
    assertTrue(e.getMessage().contains("pairs.jsonl:2: field \"rejected\" is missing"), e.getMessage());
    PreferencePairs pairs = PreferencePairs.read(f, 1, 0f, 1);
    assertEquals(1, pairs.badLines().count());
    assertEquals(2, new HashSet<>(pairs.nextTrainBatch(2)).size());
  }

  @Test
  void aCharacterOutsideTheVocabularyNamesRecordAndField(@TempDir Path dir) throws Exception {
    Path f = write(dir, "pairs.jsonl", GOOD, "{\"prompt\": \"rev 1=\", \"chosen\": \"1\", \"rejected\": \"\u00e9\"}");
    PreferencePairs pairs = PreferencePairs.read(f, 0, 0f, 1);
    var e = assertThrows(IllegalArgumentException.class, () -> pairs.rejected(1));
    assertTrue(e.getMessage().contains("record 1: field \"rejected\": character U+00E9"), e.getMessage());
  }

  @Test
  void theHeldOutSplitIsSeededAndEveryEpochVisitsEachTrainingPairOnce(@TempDir Path dir) throws Exception {
    String[] lines = new String[200];
    for (int i = 0; i < lines.length; i++) {
      lines[i] = "{\"prompt\": \"rev " + i + "=\", \"chosen\": \"" + i + "\", \"rejected\": \"x\"}";
    }
    Path f = write(dir, "pairs.jsonl", lines);
    PreferencePairs a = PreferencePairs.read(f, 0, 0.25f, 7);
    PreferencePairs b = PreferencePairs.read(f, 0, 0.25f, 7);
    assertEquals(a.heldOut(), b.heldOut());
    assertEquals(50, a.heldOut().size());
    Set<Integer> epoch = new HashSet<>(a.nextTrainBatch(150));
    assertEquals(150, epoch.size());
    epoch.retainAll(a.heldOut());
    assertTrue(epoch.isEmpty(), "a held-out pair was trained on");
  }

  @Test
  void ktoReadsLabelledRecordsOrUnpairsPreferencePairs(@TempDir Path dir) throws Exception {
    Path labelled = write(dir, "kto.jsonl", "{\"prompt\": \"rev 12=\", \"completion\": \"21\", \"label\": true}",
        "{\"prompt\": \"rev 12=\", \"completion\": \"12\", \"label\": false}");
    UnpairedExamples examples = UnpairedExamples.read(labelled, 0, 0f, 1);
    List<Integer> keys = examples.nextTrainBatch(2);
    assertEquals(1, keys.stream().filter(examples::desirable).count());
    UnpairedExamples unpaired = UnpairedExamples.read(write(dir, "pairs.jsonl", GOOD, GOOD), 0, 0f, 1);
    List<Integer> halves = unpaired.nextTrainBatch(4); // two pairs, both halves of each
    assertEquals(4, new HashSet<>(halves).size());
    assertEquals(2, halves.stream().filter(unpaired::desirable).count());
    Path bad = write(dir, "bad.jsonl", "{\"prompt\": \"rev 1=\", \"completion\": \"1\", \"label\": \"yes\"}");
    var e = assertThrows(IllegalArgumentException.class, () -> UnpairedExamples.read(bad, 0, 0f, 1));
    assertTrue(e.getMessage().contains("bad.jsonl:1: field \"label\""), e.getMessage());
  }
}
