package troupe.actors;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import troupe.v1.TokenSequence;

/**
 * Chosen/rejected pairs of a JSON-lines file ({"prompt", "chosen", "rejected"}, TRL's names), tokenized, split into
 * training and held-out pairs by a seeded hash of the line, and served in shuffled batches, reshuffled each epoch.
 * A malformed line names the file, line and field; up to {@code maxBad} are skipped and counted.
 */
final class PreferencePairs {
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
    JsonLines.Skipped skipped = JsonLines.read(file, maxBad, o -> pairs.add(o, seed, evalFraction));
    pairs.bad = skipped.count();
    pairs.firstBad = skipped.first();
    if (pairs.train.isEmpty()) {
      throw new IllegalArgumentException(file + " has no training pairs (" + pairs.chosen.size() + " read, "
          + pairs.heldOut.size() + " held out)");
    }
    Collections.shuffle(pairs.train, pairs.shuffle);
    return pairs;
  }

  private void add(JsonObject o, long seed, float evalFraction) {
    String needs = "a preference record needs prompt, chosen, rejected";
    String prompt = JsonLines.text(o, "prompt", needs);
    TokenSequence c = JsonLines.sequence(prompt, JsonLines.text(o, "chosen", needs), "chosen");
    TokenSequence r = JsonLines.sequence(prompt, JsonLines.text(o, "rejected", needs), "rejected");
    int index = chosen.size();
    chosen.add(c);
    rejected.add(r);
    // Membership by a hash of the record, so it does not depend on what other lines the file holds.
    boolean held = Math.floorMod(new Random(seed ^ o.toString().hashCode()).nextInt(), 10_000)
        < evalFraction * 10_000;
    (held ? heldOut : train).add(index);
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
