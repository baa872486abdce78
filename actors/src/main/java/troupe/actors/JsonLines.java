package troupe.actors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A JSON-lines file read one line at a time, each line a JSON object with TRL's field names. A malformed line is
 * named by file, line and reason; up to {@code maxBad} of them are skipped and counted, one more fails the read.
 */
final class JsonLines {
  private JsonLines() {}

  /** Takes one record; throws IllegalArgumentException naming the field when the record is unusable. */
  interface Records {
    void accept(JsonObject record);
  }

  /** How many lines were skipped, and why the first one was. */
  record Skipped(int count, String first) {}

  static Skipped read(Path file, int maxBad, Records records) {
    int bad = 0;
    String first = "";
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonElement parsed = JsonParser.parseString(line);
          if (!parsed.isJsonObject()) {
            throw new IllegalArgumentException("not a JSON object");
          }
          records.accept(parsed.getAsJsonObject());
        } catch (IllegalArgumentException | IllegalStateException | JsonParseException e) {
          String reason = file + ":" + number + ": " + e.getMessage();
          if (++bad > maxBad) {
            throw new IllegalArgumentException(reason + (maxBad > 0 ? " (more than max_bad_lines " + maxBad
                + " malformed lines)" : ""));
          }
          if (first.isEmpty()) {
            first = reason;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new Skipped(bad, first);
  }

  /** A string field, or an error naming it and the fields a record of this kind needs. */
  static String text(JsonObject o, String field, String needs) {
    JsonElement v = o.get(field);
    if (v == null || v.isJsonNull()) {
      throw new IllegalArgumentException("field \"" + field + "\" is missing (" + needs + ")");
    }
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException("field \"" + field + "\" must be a string, got " + v);
    }
    return v.getAsString();
  }

  /** Prompt tokens, then the completion and EOS; a character outside the vocabulary names its field. */
  static troupe.v1.TokenSequence sequence(String prompt, String completion, String completionField) {
    troupe.v1.TokenSequence.Builder b = troupe.v1.TokenSequence.newBuilder();
    for (int t : encode(prompt, "prompt")) {
      b.addPrompt(t);
    }
    for (int t : encode(completion, completionField)) {
      b.addCompletion(t);
    }
    return b.addCompletion(StageContext.TOKENIZER.eos()).build();
  }

  private static int[] encode(String text, String field) {
    try {
      return StageContext.TOKENIZER.encode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field \"" + field + "\": " + e.getMessage());
    }
  }
}
