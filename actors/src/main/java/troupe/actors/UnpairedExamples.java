package troupe.actors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import troupe.trainers.data.BadLines;
import troupe.trainers.data.PreferenceRecord;
import troupe.trainers.data.RecordKind;
import troupe.trainers.data.UnpairedRecord;
import troupe.v1.DataCursor;
import troupe.v1.TokenSequence;

/**
 * KTO's unpaired examples from a JSON-lines file: {"prompt", "completion", "label"} records (TRL's unpaired format,
 * label true for desirable), or a preference file whose pairs count as one desirable and one undesirable example
 * (TRL's unpairing; the kind is read from the first line). An example's key is its record index, or for pairs
 * 2 * index (chosen) and 2 * index + 1 (rejected).
 */
final class UnpairedExamples implements TrainingExamples {
  private final FileData<UnpairedRecord> labelled;
  private final PreferencePairs pairs;

  private UnpairedExamples(FileData<UnpairedRecord> labelled, PreferencePairs pairs) {
    this.labelled = labelled;
    this.pairs = pairs;
  }

  static UnpairedExamples read(Path file, int maxBad, float evalFraction, long seed) {
    if (RecordKind.detect(file) == RecordKind.PREFERENCE) {
      return new UnpairedExamples(null, PreferencePairs.read(file, maxBad, evalFraction, seed));
    }
    return new UnpairedExamples(FileData.open(file, RecordKind.UNPAIRED, maxBad, evalFraction, seed), null);
  }

  /** About {@code size} examples: whole pairs, so both halves of a pair meet in one batch. */
  @Override
  public List<Integer> nextTrainBatch(int size) {
    return pairs == null ? labelled.nextTrainBatch(size) : keys(pairs.nextTrainBatch(Math.max(1, size / 2)));
  }

  @Override
  public DataCursor cursor() {
    return pairs == null ? labelled.cursor() : pairs.cursor();
  }

  @Override
  public void seek(DataCursor at) {
    if (pairs == null) {
      labelled.seek(at);
    } else {
      pairs.seek(at);
    }
  }

  @Override
  public List<Integer> heldOut() {
    return pairs == null ? labelled.heldOut() : keys(pairs.heldOut());
  }

  TokenSequence sequence(int key) {
    if (pairs != null) {
      return key % 2 == 0 ? pairs.chosen(key / 2) : pairs.rejected(key / 2);
    }
    UnpairedRecord r = labelled.get(key);
    return labelled.sequence(key, r.prompt(), r.completion(), "completion");
  }

  boolean desirable(int key) {
    return pairs != null ? key % 2 == 0 : labelled.get(key).label();
  }

  @Override
  public BadLines badLines() {
    return pairs != null ? pairs.badLines() : labelled.badLines();
  }

  private static List<Integer> keys(List<Integer> pairIndices) {
    List<Integer> out = new ArrayList<>(2 * pairIndices.size());
    for (int i : pairIndices) {
      out.add(2 * i);
      out.add(2 * i + 1);
    }
    return out;
  }
}
