package troupe.trainers.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.trainers.tasks.Example;

class RecordKindTest {

  private static final String PREFERENCE_NEEDS = " (a preference record needs prompt, chosen, rejected)";

  @TempDir
  Path dir;

  private Path write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void eachKindParsesItsTrlFieldsAndIgnoresExtraOnes() throws IOException {
    Path sft = write("sft.jsonl", "{\"prompt\": \"2+2=\", \"completion\": \"4\", \"id\": 7, \"meta\": {\"a\": [1]}}\n");
    assertEquals(List.of(new SftRecord("2+2=", "4")), JsonlRecords.readAll(sft, RecordKind.SFT, ReadOptions.strict()));

    Path prefs = write("prefs.jsonl", "{\"prompt\": \"Hi\", \"chosen\": \"Hello!\", \"rejected\": \"Go away\","
        + " \"score_chosen\": 8.5}\n");
    assertEquals(List.of(new PreferenceRecord("Hi", "Hello!", "Go away")),
        JsonlRecords.readAll(prefs, RecordKind.PREFERENCE, ReadOptions.strict()));

    Path kto = write("kto.jsonl", "{\"prompt\": \"Hi\", \"completion\": \"Hello!\", \"label\": true}\n"
        + "{\"label\": false, \"completion\": \"Go away\", \"prompt\": \"Hi\"}\n");
    assertEquals(List.of(new UnpairedRecord("Hi", "Hello!", true), new UnpairedRecord("Hi", "Go away", false)),
        JsonlRecords.readAll(kto, RecordKind.UNPAIRED, ReadOptions.strict()));

    Path tasks = write("tasks.jsonl", "{\"prompt\": \"17+5=\", \"answer\": \"22\"}\n");
    List<TaskRecord> read = JsonlRecords.readAll(tasks, RecordKind.TASK, ReadOptions.strict());
    assertEquals(List.of(new TaskRecord("17+5=", "22")), read);
    assertEquals(new Example("17+5=", "22"), read.get(0).toExample());
  }

  @Test
  void textKeepsEscapesAndUnicode() {
    SftRecord record = RecordKind.SFT.parse("{\"prompt\": \"a\\nb \\\"q\\\"\", \"completion\": \"héllo ✓ \\u00e9\"}",
        "x.jsonl", 1);
    assertEquals("a\nb \"q\"", record.prompt());
    assertEquals("héllo ✓ é", record.completion());
  }

  /** The message of the malformed third line (after a good line and a blank line) of a preference file. */
  private String preferenceError(String name, String badLine) throws IOException {
    Path file = write(name, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n\n" + badLine + "\n");
    MalformedLineException e = assertThrows(MalformedLineException.class,
        () -> JsonlRecords.readAll(file, RecordKind.PREFERENCE, ReadOptions.strict()));
    assertEquals(file.toString(), e.file());
    assertEquals(3, e.line());
    assertEquals(file + ":3: " + e.reason(), e.getMessage());
    return e.reason();
  }

  @Test
  void everyMalformedPreferenceLineNamesFileLineAndField() throws IOException {
    assertEquals("field \"chosen\" is missing" + PREFERENCE_NEEDS,
        preferenceError("missing.jsonl", "{\"prompt\": \"p\", \"rejected\": \"b\"}"));
    assertEquals("field \"prompt\" is missing" + PREFERENCE_NEEDS,
        preferenceError("typo.jsonl", "{\"promt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}"));
    assertEquals("field \"rejected\" is null" + PREFERENCE_NEEDS,
        preferenceError("null.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": null}"));
    assertEquals("field \"prompt\" must be a string, got 3",
        preferenceError("number.jsonl", "{\"prompt\": 3, \"chosen\": \"a\", \"rejected\": \"b\"}"));
    assertEquals("field \"chosen\" must be a string, got true",
        preferenceError("bool.jsonl", "{\"prompt\": \"p\", \"chosen\": true, \"rejected\": \"b\"}"));
    assertEquals("field \"prompt\" must be a string, got [{\"role\":\"user\",\"content\":\"hi\"}]"
            + " (conversational lists of messages are not supported; give plain text)",
        preferenceError("chat.jsonl",
            "{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}], \"chosen\": \"a\", \"rejected\": \"b\"}"));
    assertEquals("field \"prompt\" is an empty string",
        preferenceError("empty.jsonl", "{\"prompt\": \"\", \"chosen\": \"a\", \"rejected\": \"b\"}"));
    // an empty response is a real sample (the policy ended at once), so a pair may contain one
    assertEquals("", RecordKind.PREFERENCE.parse("{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"\"}",
        "ok.jsonl", 1).rejected());
    assertEquals("fields \"chosen\" and \"rejected\" are identical",
        preferenceError("same.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"a\"}"));
    assertEquals("field \"chosen\" appears more than once",
        preferenceError("twice.jsonl",
            "{\"prompt\": \"p\", \"chosen\": \"a\", \"chosen\": \"c\", \"rejected\": \"b\"}"));
    assertEquals("expected a JSON object with prompt, chosen, rejected, got [\"p\",\"a\",\"b\"]",
        preferenceError("array.jsonl", "[\"p\", \"a\", \"b\"]"));
    assertEquals("text after the JSON object",
        preferenceError("two.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"} {}"));
    assertEquals("text after the JSON object",
        preferenceError("comment.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"} // x"));
    assertEquals("not valid JSON: End of input at column 30 path $.chosen",
        preferenceError("cut.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\""));
    assertEquals("not valid JSON: malformed JSON at column 3 path $.",
        preferenceError("quotes.jsonl", "{'prompt': 'p', 'chosen': 'a', 'rejected': 'b'}"));
  }

  @Test
  void labelMustBeAJsonBoolean() throws IOException {
    for (String label : List.of("\"true\"", "1", "0", "\"yes\"")) {
      Path file = write("label.jsonl", "{\"prompt\": \"p\", \"completion\": \"c\", \"label\": " + label + "}\n");
      MalformedLineException e = assertThrows(MalformedLineException.class,
          () -> JsonlRecords.readAll(file, RecordKind.UNPAIRED, ReadOptions.strict()));
      assertEquals(file + ":1: field \"label\" must be a JSON boolean (true or false), got " + label, e.getMessage());
    }
    Path missing = write("nolabel.jsonl", "{\"prompt\": \"p\", \"completion\": \"c\"}\n");
    MalformedLineException e = assertThrows(MalformedLineException.class,
        () -> JsonlRecords.readAll(missing, RecordKind.UNPAIRED, ReadOptions.strict()));
    assertEquals(missing + ":1: field \"label\" is missing"
        + " (an unpaired preference record needs prompt, completion, label)", e.getMessage());
  }

  @Test
  void otherKindsNameTheirOwnFields() {
    MalformedLineException sft = assertThrows(MalformedLineException.class,
        () -> RecordKind.SFT.parse("{\"prompt\": \"p\", \"answer\": \"a\"}", "s.jsonl", 4));
    assertEquals("s.jsonl:4: field \"completion\" is missing (an SFT record needs prompt, completion)",
        sft.getMessage());
    MalformedLineException task = assertThrows(MalformedLineException.class,
        () -> RecordKind.TASK.parse("{\"prompt\": \"p\", \"completion\": \"a\"}", "t.jsonl", 9));
    assertEquals("t.jsonl:9: field \"answer\" is missing (a task record needs prompt, answer)", task.getMessage());
    MalformedLineException empty = assertThrows(MalformedLineException.class,
        () -> RecordKind.TASK.parse("{\"prompt\": \"\", \"answer\": \"a\"}", "t.jsonl", 2));
    assertEquals("t.jsonl:2: field \"prompt\" is an empty string", empty.getMessage());
  }

  @Test
  void invalidUtf8AndOverlongLinesAreMalformed() throws IOException {
    Path file = dir.resolve("latin1.jsonl");
    Files.write(file, "{\"prompt\": \"caf\u00e9\", \"answer\": \"x\"}\n".getBytes(StandardCharsets.ISO_8859_1));
    MalformedLineException e = assertThrows(MalformedLineException.class,
        () -> JsonlRecords.readAll(file, RecordKind.TASK, ReadOptions.strict()));
    assertEquals(file + ":1: not valid UTF-8", e.getMessage());

    Path longLine = write("long.jsonl", "{\"prompt\": \"p\", \"answer\": \"a\"}\n{\"prompt\": \"" + "x".repeat(500)
        + "\", \"answer\": \"a\"}\n");
    MalformedLineException tooLong = assertThrows(MalformedLineException.class,
        () -> JsonlRecords.readAll(longLine, RecordKind.TASK, ReadOptions.strict().withMaxLineBytes(100)));
    assertEquals(longLine + ":2: line is longer than the limit of 100 bytes", tooLong.getMessage());
  }

  @Test
  void namedAndDetectedKinds() throws IOException {
    assertEquals(RecordKind.PREFERENCE, RecordKind.named("Preference"));
    assertEquals(UnpairedRecord.class, RecordKind.named("unpaired").recordType());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> RecordKind.named("dpo"));
    assertEquals("unknown record kind \"dpo\"; expected one of [sft, preference, unpaired, task]",
        unknown.getMessage());

    assertEquals(RecordKind.PREFERENCE, RecordKind.detect(Set.of("prompt", "chosen", "rejected")));
    assertEquals(RecordKind.UNPAIRED, RecordKind.detect(Set.of("prompt", "completion", "label")));
    assertEquals(RecordKind.SFT, RecordKind.detect(Set.of("prompt", "completion")));
    assertEquals(RecordKind.TASK, RecordKind.detect(Set.of("prompt", "answer")));
    Path file = write("d.jsonl", "\n  \n{\"prompt\": \"p\", \"completion\": \"c\", \"label\": false}\n");
    assertEquals(RecordKind.UNPAIRED, RecordKind.detect(file));
    Path odd = write("odd.jsonl", "{\"text\": \"hello\"}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecordKind.detect(odd));
    assertTrue(e.getMessage().startsWith(odd + ":1: cannot tell the record kind from the fields [text]"),
        e.getMessage());
  }
}
