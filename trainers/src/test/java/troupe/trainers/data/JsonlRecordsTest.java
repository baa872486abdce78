package troupe.trainers.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlRecordsTest {

  @TempDir
  Path dir;

  private static String task(String prompt, String answer) {
    return "{\"prompt\": \"" + prompt + "\", \"answer\": \"" + answer + "\"}";
  }

  @Test
  void streamsInOrderSkippingBlankLinesWithLineNumbersAndOffsets() throws IOException {
    Path file = dir.resolve("t.jsonl");
    // A byte-order mark, CRLF line ends, blank and whitespace lines, and no newline after the last line.
    String content = "\uFEFF" + task("a", "1") + "\r\n\r\n   \t\n" + task("b", "2") + "\n\n" + task("c", "3");
    Files.writeString(file, content, StandardCharsets.UTF_8);
    byte[] bytes = Files.readAllBytes(file);
    List<TaskRecord> read = new ArrayList<>();
    List<Long> lines = new ArrayList<>();
    try (JsonlRecords<TaskRecord> records = JsonlRecords.open(file, RecordKind.TASK, ReadOptions.strict())) {
      while (records.hasNext()) {
        read.add(records.next());
        lines.add(records.lineNumber());
        // The offset points at the record's first byte, '{'.
        assertEquals('{', bytes[(int) records.offset()]);
      }
      assertEquals(3, records.count());
      assertEquals(0, records.badLines().count());
    }
    assertEquals(List.of(new TaskRecord("a", "1"), new TaskRecord("b", "2"), new TaskRecord("c", "3")), read);
    assertEquals(List.of(1L, 4L, 6L), lines);
  }

  @Test
  void badLinesUpToTheLimitAreSkippedCountedAndReported() throws IOException {
    Path file = dir.resolve("bad.jsonl");
    Files.writeString(file, String.join("\n", task("a", "1"), "{\"prompt\": \"b\"}", task("c", "3"),
        "not json", "{\"prompt\": \"e\", \"answer\": 5}", task("f", "6")) + "\n", StandardCharsets.UTF_8);

    JsonlRecords<TaskRecord> records = JsonlRecords.open(file, RecordKind.TASK, ReadOptions.skippingUpTo(3));
    List<TaskRecord> read = new ArrayList<>();
    records.forEachRemaining(read::add);
    records.close();
    assertEquals(List.of(new TaskRecord("a", "1"), new TaskRecord("c", "3"), new TaskRecord("f", "6")), read);
    BadLines bad = records.badLines();
    assertEquals(3, bad.count());
    assertEquals(file + ":2: field \"answer\" is missing (a task record needs prompt, answer)",
        bad.firstReasons().get(0));
    assertEquals(file + ":5: field \"answer\" must be a string, got 5", bad.firstReasons().get(2));
    assertEquals(file + ": 3 malformed lines skipped; first: " + String.join("; ", bad.firstReasons()),
        bad.summary());

    // One more bad line than allowed fails, naming the count and the first reasons.
    TooManyBadLinesException tooMany = assertThrows(TooManyBadLinesException.class,
        () -> JsonlRecords.readAll(file, RecordKind.TASK, new ReadOptions(2, 1, 1 << 20)));
    assertEquals(3, tooMany.count());
    assertEquals(List.of(file + ":2: field \"answer\" is missing (a task record needs prompt, answer)"),
        tooMany.firstReasons());
    assertEquals(file + ": 3 malformed lines, more than the 2 allowed; first: " + file
        + ":2: field \"answer\" is missing (a task record needs prompt, answer)", tooMany.getMessage());
    assertInstanceOf(MalformedLineException.class, tooMany.getCause());
    assertEquals(5, ((MalformedLineException) tooMany.getCause()).line());

    // Strict reading fails on the first bad line with its own message.
    MalformedLineException first = assertThrows(MalformedLineException.class,
        () -> JsonlRecords.readAll(file, RecordKind.TASK, ReadOptions.strict()));
    assertEquals(2, first.line());
  }

  @Test
  void aMissingFileIsAConfigurationError() {
    Path missing = dir.resolve("nope.jsonl");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JsonlRecords.open(missing, RecordKind.SFT, ReadOptions.strict()));
    assertEquals(true, e.getMessage().startsWith("cannot read " + missing), e.getMessage());
  }

  @Test
  void anEmptyFileHasNoRecords() throws IOException {
    Path file = dir.resolve("empty.jsonl");
    Files.writeString(file, "\n\n", StandardCharsets.UTF_8);
    try (JsonlRecords<SftRecord> records = JsonlRecords.open(file, RecordKind.SFT, ReadOptions.strict())) {
      assertFalse(records.hasNext());
      assertEquals(0, records.count());
    }
  }
}
