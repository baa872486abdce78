package troupe.actors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import troupe.trainers.model.CharTokenizer;
import troupe.v1.TokenSequence;

/**
 * Chosen/rejected pairs of a JSON-lines file ({"prompt", "chosen", "rejected"}, TRL's names), tokenized, split into
 * training and held-out pairs by a seeded hash of the line, and served in shuffled batches, reshuffled each epoch.
 * A malformed line names the file, line and field; up to {@code maxBad} are skipped and counted.
 */
final class PreferencePairs {
  private static final CharTokenizer TOKENIZER = CharTokenizer.INSTANCE;

  private final List<TokenSequence> chosen = new ArrayList<>();
  private final List<TokenSequence> rejected = new ArrayList<>();
  private final List<Integer> train = new ArrayList<>();
  private final List<Integer> heldOut = new ArrayList<>();
  private final Random shuffle;
  private int cursor;
  private int bad;
  private String firstBad = "";

  private PreferencePairs(long seed) {
    this.shuffle = new Random(seed);
  }

  static PreferencePairs read(Path file, int maxBad, float evalFraction, long seed) {
    PreferencePairs pairs = new PreferencePairs(seed);
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        try {
          pairs.add(line, seed, evalFraction);
        } catch (IllegalArgumentException | IllegalStateException | com.google.gson.JsonParseException e) {
          String reason = file + ":" + number + ": " + e.getMessage();
          if (++pairs.bad > maxBad) {
            throw new IllegalArgumentException(reason + (maxBad > 0 ? " (more than max_bad_lines " + maxBad
                + " malformed lines)" : ""));
          }
          if (pairs.firstBad.isEmpty()) {
            pairs.firstBad = reason;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read preference pairs " + file + ": " + e.getMessage(), e);
    }
    if (pairs.train.isEmpty()) {
      throw new IllegalArgumentException(file + " has no training pairs (" + pairs.chosen.size() + " read, "
          + pairs.heldOut.size() + " held out)");
    }
    Collections.shuffle(pairs.train, pairs.shuffle);
    return pairs;
  }

  private void add(String line, long seed, float evalFraction) {
    JsonElement parsed = JsonParser.parseString(line);
    if (!parsed.isJsonObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    JsonObject o = parsed.getAsJsonObject();
    String prompt = text(o, "prompt");
    String chosenText = text(o, "chosen");
    String rejectedText = text(o, "rejected");
    for (String field : List.of("prompt", "chosen", "rejected")) {
      try {
        TOKENIZER.encode(o.get(field).getAsString());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("field \"" + field + "\": " + e.getMessage());
      }
    }
    TokenSequence c = sequence(prompt, chosenText);
    TokenSequence r = sequence(prompt, rejectedText);
    int index = chosen.size();
    chosen.add(c);
    rejected.add(r);
    // Membership by a hash of the line, so it does not depend on what other lines the file holds.
    boolean held = Math.floorMod(new Random(seed ^ line.hashCode()).nextInt(), 10_000) < evalFraction * 10_000;
    (held ? heldOut : train).add(index);
  }

  private static String text(JsonObject o, String field) {
    JsonElement v = o.get(field);
    if (v == null || v.isJsonNull()) {
      throw new IllegalArgumentException("field \"" + field + "\" is missing (a preference record needs prompt, "
          + "chosen, rejected)");
    }
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException("field \"" + field + "\" must be a string, got " + v);
    }
    return v.getAsString();
  }

  /** Prompt tokens, then the completion and EOS, as the policy would have generated it. */
  static TokenSequence sequence(String prompt, String completion) {
    TokenSequence.Builder b = TokenSequence.newBuilder();
    for (int t : TOKENIZER.encode(prompt)) {
      b.addPrompt(t);
    }
    for (int t : TOKENIZER.encode(completion)) {
      b.addCompletion(t);
    }
    return b.addCompletion(TOKENIZER.eos()).build();
  }

  /** The next training pairs in this epoch's order; a new epoch reshuffles. */
  List<Integer> nextTrainBatch(int size) {
    List<Integer> out = new ArrayList<>(size);
    while (out.size() < size) {
      if (cursor == train.size()) {
        Collections.shuffle(train, shuffle);
        cursor = 0;
      }
      out.add(train.get(cursor++));
    }
    return out;
  }

  List<Integer> heldOut() {
    return heldOut;
  }

  TokenSequence chosen(int i) {
    return chosen.get(i);
  }

  TokenSequence rejected(int i) {
    return rejected.get(i);
  }

  int bad() {
    return bad;
  }

  String firstBad() {
    return firstBad;
  }
}
