package troupe.actors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import troupe.v1.TokenSequence;

/**
 * KTO's unpaired examples from a JSON-lines file: {"prompt", "completion", "label"} records (TRL's unpaired format,
 * label true for desirable), and preference records {"prompt", "chosen", "rejected"}, which count as one desirable
 * and one undesirable example (TRL's unpairing). Split into training and held-out examples by a seeded hash, served
 * in shuffled batches.
 */
final class UnpairedExamples {
  private final List<TokenSequence> sequences = new ArrayList<>();
  private final List<Boolean> desirable = new ArrayList<>();
  private final TrainSplit split;
  private JsonLines.Skipped skipped;

  private UnpairedExamples(long seed, float evalFraction) {
    this.split = new TrainSplit(seed, evalFraction);
  }

  static UnpairedExamples read(Path file, int maxBad, float evalFraction, long seed) {
    UnpairedExamples examples = new UnpairedExamples(seed, evalFraction);
    examples.skipped = JsonLines.read(file, maxBad, o -> {
      String text = o.toString(); // both halves of a pair fall on the same side
      String prompt = JsonLines.text(o, "prompt", "a KTO record needs prompt, completion, label (or prompt, chosen, "
          + "rejected)");
      if (o.has("label")) {
        JsonElement label = o.get("label");
        if (!label.isJsonPrimitive() || !label.getAsJsonPrimitive().isBoolean()) {
          throw new IllegalArgumentException("field \"label\" must be true or false, got " + label);
        }
        String completion = JsonLines.text(o, "completion", "a KTO record needs prompt, completion, label");
        examples.add(JsonLines.sequence(prompt, completion, "completion"), label.getAsBoolean(), text);
      } else {
        String needs = "a record without label is a preference pair: prompt, chosen, rejected";
        TokenSequence chosen = JsonLines.sequence(prompt, JsonLines.text(o, "chosen", needs), "chosen");
        TokenSequence rejected = JsonLines.sequence(prompt, JsonLines.text(o, "rejected", needs), "rejected");
        examples.add(chosen, true, text);
        examples.add(rejected, false, text);
      }
    });
    if (examples.split.trainSize() < 2) {
      throw new IllegalArgumentException(file + " has " + examples.split.trainSize() + " training examples; KTO "
          + "needs at least 2");
    }
    return examples;
  }

  private void add(TokenSequence sequence, boolean good, String record) {
    split.add(sequences.size(), record);
    sequences.add(sequence);
    desirable.add(good);
  }

  List<Integer> nextTrainBatch(int size) {
    return split.nextTrainBatch(size);
  }

  List<Integer> heldOut() {
    return split.heldOut();
  }

  TokenSequence sequence(int i) {
    return sequences.get(i);
  }

  boolean desirable(int i) {
    return desirable.get(i);
  }

  JsonLines.Skipped skipped() {
    return skipped;
  }
}
