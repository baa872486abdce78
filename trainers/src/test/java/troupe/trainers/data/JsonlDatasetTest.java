package troupe.trainers.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlDatasetTest {

  @TempDir
  Path dir;

  /** {@code count} task records "p<i>" -> "<i>", with a blank line and a malformed line mixed in. */
  private Path tasks(String name, int count) throws IOException {
    Path file = dir.resolve(name);
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < count; i++) {
        out.write("{\"prompt\": \"p" + i + "\", \"answer\": \"" + i + "\"}\n");
        if (i == 2) {
          out.write("\n{\"prompt\": \"no answer\"}\n");
        }
      }
    }
    return file;
  }

  private static int indexOf(TaskRecord record) {
    return Integer.parseInt(record.answer());
  }

  private static List<Integer> walk(EpochCursor<TaskRecord> cursor, int count) {
    List<Integer> seen = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      seen.add(indexOf(cursor.next()));
      assertEquals(seen.get(i), cursor.lastRecordIndex());
    }
    return seen;
  }

  @Test
  void indexesGoodRecordsAndReadsThemByIndex() throws IOException {
    Path file = tasks("t.jsonl", 10);
    try (JsonlDataset<TaskRecord> data = JsonlDataset.open(file, RecordKind.TASK, ReadOptions.skippingUpTo(1))) {
      assertEquals(10, data.size());
      assertEquals(1, data.badLines().count());
      assertEquals(List.of(file + ":5: field \"answer\" is missing (a task record needs prompt, answer)"),
          data.badLines().firstReasons());
      for (int i = 9; i >= 0; i--) {
        assertEquals(new TaskRecord("p" + i, String.valueOf(i)), data.get(i));
      }
      assertThrows(IndexOutOfBoundsException.class, () -> data.get(10));
      List<TaskRecord> inOrder = new ArrayList<>();
      data.all().forEach(inOrder::add);
      assertEquals(10, inOrder.size());
      assertEquals(new TaskRecord("p3", "3"), inOrder.get(3));
    }
    // The same file read strictly fails at the malformed line.
    MalformedLineException e = assertThrows(MalformedLineException.class,
        () -> JsonlDataset.open(file, RecordKind.TASK, ReadOptions.strict()));
    assertEquals(5, e.line());
  }

  @Test
  void eachEpochIsASeededPermutationThatChangesWithSeedAndEpoch() throws IOException {
    int n = 50;
    try (JsonlDataset<TaskRecord> data = JsonlDataset.open(tasks("t.jsonl", n), RecordKind.TASK,
        ReadOptions.skippingUpTo(1))) {
      EpochCursor<TaskRecord> cursor = data.all().cursor(42);
      assertEquals(n, cursor.epochSize());
      List<Integer> epoch0 = walk(cursor, n);
      assertEquals(new CursorPosition(1, 0), cursor.position());
      List<Integer> epoch1 = walk(cursor, n);
      assertEquals(new CursorPosition(2, 0), cursor.position());
      Set<Integer> all = new HashSet<>();
      for (int i = 0; i < n; i++) {
        all.add(i);
      }
      assertEquals(all, new HashSet<>(epoch0));
      assertEquals(n, epoch0.size());
      assertEquals(all, new HashSet<>(epoch1));
      assertNotEquals(epoch0, epoch1);
      assertNotEquals(all.stream().sorted().toList(), epoch0);

      // Same seed, same sequence; another seed, another one.
      assertEquals(epoch0, walk(data.all().cursor(42), n));
      assertNotEquals(epoch0, walk(data.all().cursor(43), n));
    }
  }

  @Test
  void aCursorResumesFromASavedPosition() throws IOException {
    try (JsonlDataset<TaskRecord> data = JsonlDataset.open(tasks("t.jsonl", 20), RecordKind.TASK,
        ReadOptions.skippingUpTo(1))) {
      EpochCursor<TaskRecord> cursor = data.all().cursor(7);
      walk(cursor, 33);
      CursorPosition saved = cursor.position();
      assertEquals(new CursorPosition(1, 13), saved);
      List<Integer> rest = walk(cursor, 30);

      EpochCursor<TaskRecord> resumed = data.all().cursor(7, saved);
      assertEquals(saved, resumed.position());
      assertEquals(rest, walk(resumed, 30));

      assertEquals(3, resumed.next(3).size());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> resumed.seek(new CursorPosition(0, 20)));
      assertTrue(e.getMessage().startsWith("cursor index 20 is outside the all view of 20 records"), e.getMessage());
    }
  }

  @Test
  void theSplitIsDisjointCompleteOfTheRequestedSizeAndStable() throws IOException {
    int n = 1000;
    Path file = tasks("t.jsonl", n);
    try (JsonlDataset<TaskRecord> data = JsonlDataset.open(file, RecordKind.TASK, ReadOptions.skippingUpTo(1))) {
      DatasetSplit<TaskRecord> split = data.split(Split.fraction(0.1), 5);
      assertEquals(900, split.train().size());
      assertEquals(100, split.eval().size());
      Set<Integer> train = new HashSet<>();
      split.train().forEach(r -> train.add(indexOf(r)));
      Set<Integer> eval = new HashSet<>();
      split.eval().forEach(r -> eval.add(indexOf(r)));
      assertEquals(900, train.size());
      assertEquals(100, eval.size());
      for (int i = 0; i < n; i++) {
        assertTrue(train.contains(i) ^ eval.contains(i), "record " + i + " must be in exactly one view");
        assertEquals(eval.contains(i), split.eval().contains(i));
        assertEquals(train.contains(i), split.train().contains(i));
      }
      // Held-out records are spread over the file, not a block at the end.
      assertTrue(eval.stream().anyMatch(i -> i < n / 2) && eval.stream().anyMatch(i -> i >= n / 2));

      // Stable: the same seed gives the same views; another seed other ones.
      Set<Integer> again = new HashSet<>();
      data.split(Split.fraction(0.1), 5).eval().forEach(r -> again.add(indexOf(r)));
      assertEquals(eval, again);
      Set<Integer> other = new HashSet<>();
      data.split(Split.fraction(0.1), 6).eval().forEach(r -> other.add(indexOf(r)));
      assertNotEquals(eval, other);

      // A count is exact; the train cursor walks only training records.
      DatasetSplit<TaskRecord> counted = data.split(Split.count(37), 5);
      assertEquals(37, counted.eval().size());
      assertEquals(963, counted.train().size());
      EpochCursor<TaskRecord> cursor = counted.train().cursor(1);
      Set<Integer> walked = new HashSet<>(walk(cursor, 963));
      assertEquals(963, walked.size());
      for (int i : walked) {
        assertFalse(counted.eval().contains(i));
      }
      assertEquals(37, new HashSet<>(walk(counted.eval().cursor(1), 37)).size());
    }

    // Membership depends on the seed and the sizes only: another file with as many records splits the same way.
    Path other = dir.resolve("other.jsonl");
    try (BufferedWriter out = Files.newBufferedWriter(other, StandardCharsets.UTF_8)) {
      for (int i = 0; i < n; i++) {
        out.write("{\"answer\": \"" + i + "\", \"prompt\": \"different text " + (n - i) + "\"}\n");
      }
    }
    try (JsonlDataset<TaskRecord> first = JsonlDataset.open(file, RecordKind.TASK, ReadOptions.skippingUpTo(1));
        JsonlDataset<TaskRecord> second = JsonlDataset.open(other, RecordKind.TASK, ReadOptions.strict())) {
      DatasetView<TaskRecord> a = first.split(Split.count(50), 9).eval();
      DatasetView<TaskRecord> b = second.split(Split.count(50), 9).eval();
      for (int i = 0; i < n; i++) {
        assertEquals(a.contains(i), b.contains(i));
      }
    }
  }

  @Test
  void splitSizesAndLimits() throws IOException {
    try (JsonlDataset<TaskRecord> data = JsonlDataset.open(tasks("t.jsonl", 10), RecordKind.TASK,
        ReadOptions.skippingUpTo(1))) {
      assertEquals(0, data.split(Split.none(), 1).eval().size());
      assertEquals(10, data.split(Split.none(), 1).train().size());
      assertEquals(1, data.split(Split.fraction(0.01), 1).eval().size()); // at least one when positive
      assertEquals(3, data.split(Split.fraction(0.25), 1).eval().size()); // rounded
      assertEquals(9, data.split(Split.count(9), 1).eval().size());
      IllegalArgumentException all = assertThrows(IllegalArgumentException.class,
          () -> data.split(Split.count(10), 1));
      assertTrue(all.getMessage().endsWith("holding out 10 of 10 records for evaluation (count 10) leaves none"
          + " to train on"), all.getMessage());
      IllegalStateException empty = assertThrows(IllegalStateException.class,
          () -> data.split(Split.none(), 1).eval().cursor(1));
      assertTrue(empty.getMessage().endsWith("the eval view is empty; nothing to walk"), empty.getMessage());
      assertThrows(IllegalArgumentException.class, () -> Split.fraction(1.0));
      assertThrows(IllegalArgumentException.class, () -> Split.count(-1));
    }
  }

  @Test
  void aChangedFileIsDetected() throws IOException {
    Path file = tasks("t.jsonl", 10);
    try (JsonlDataset<TaskRecord> data = JsonlDataset.open(file, RecordKind.TASK, ReadOptions.skippingUpTo(1))) {
      Files.writeString(file, "{\"prompt\": \"new\", \"answer\": \"1\"}\n", StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> data.all().cursor(1).next());
      assertTrue(e.getMessage().contains("the file changed after it was indexed"), e.getMessage());
    }
  }

  @Test
  void aLargeFileIsShuffledThroughTheOffsetIndex() throws IOException {
    int n = 200_000;
    Path file = dir.resolve("large.jsonl");
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < n; i++) {
        out.write("{\"prompt\":\"q" + i + "\",\"completion\":\"" + i + "\",\"label\":" + (i % 3 == 0) + "}\n");
      }
    }
    try (JsonlDataset<UnpairedRecord> data = JsonlDataset.open(file, RecordKind.UNPAIRED, ReadOptions.strict())) {
      assertEquals(n, data.size());
      Random random = new Random(1);
      for (int k = 0; k < 100; k++) {
        int i = random.nextInt(n);
        assertEquals(new UnpairedRecord("q" + i, String.valueOf(i), i % 3 == 0), data.get(i));
      }
      // One full epoch: every record exactly once, each read back by its offset matching its index.
      EpochCursor<UnpairedRecord> cursor = data.split(Split.fraction(0.01), 3).train().cursor(11);
      assertEquals(n - 2000, cursor.epochSize());
      boolean[] seen = new boolean[n];
      for (int k = 0; k < cursor.epochSize(); k++) {
        UnpairedRecord record = cursor.next();
        int i = cursor.lastRecordIndex();
        assertEquals(String.valueOf(i), record.completion());
        assertFalse(seen[i], "record " + i + " twice in one epoch");
        seen[i] = true;
      }
      assertEquals(new CursorPosition(1, 0), cursor.position());
    }
  }
}
