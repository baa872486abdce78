package troupe.actors;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import troupe.v1.TokenSequence;

/**
 * Chosen/rejected pairs of a JSON-lines file ({"prompt", "chosen", "rejected"}, TRL's names), tokenized, split into
 * training and held-out pairs by a seeded hash of the line, and served in shuffled batches, reshuffled each epoch.
 * A malformed line names the file, line and field; up to {@code maxBad} are skipped and counted.
 */
final class PreferencePairs {
  private final List<TokenSequence> chosen = new ArrayList<>();
  private final List<TokenSequence> rejected = new ArrayList<>();
  private final TrainSplit split;
  private JsonLines.Skipped skipped;

  private PreferencePairs(long seed, float evalFraction) {
    this.split = new TrainSplit(seed, evalFraction);
  }

  static PreferencePairs read(Path file, int maxBad, float evalFraction, long seed) {
    PreferencePairs pairs = new PreferencePairs(seed, evalFraction);
    pairs.skipped = JsonLines.read(file, maxBad, pairs::add);
    if (pairs.split.trainSize() == 0) {
      throw new IllegalArgumentException(file + " has no training pairs (" + pairs.chosen.size() + " read, "
          + pairs.split.heldOut().size() + " held out)");
    }
    return pairs;
  }

  private void add(JsonObject o) {
    String needs = "a preference record needs prompt, chosen, rejected";
    String prompt = JsonLines.text(o, "prompt", needs);
    TokenSequence c = JsonLines.sequence(prompt, JsonLines.text(o, "chosen", needs), "chosen");
    TokenSequence r = JsonLines.sequence(prompt, JsonLines.text(o, "rejected", needs), "rejected");
    split.add(chosen.size(), o.toString());
    chosen.add(c);
    rejected.add(r);
  }

  List<Integer> nextTrainBatch(int size) {
    return split.nextTrainBatch(size);
  }

  List<Integer> heldOut() {
    return split.heldOut();
  }

  TokenSequence chosen(int i) {
    return chosen.get(i);
  }

  TokenSequence rejected(int i) {
    return rejected.get(i);
  }

  JsonLines.Skipped skipped() {
    return skipped;
  }

}
