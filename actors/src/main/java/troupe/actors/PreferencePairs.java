package troupe.actors;

import java.nio.file.Path;
import java.util.List;
import troupe.trainers.data.BadLines;
import troupe.trainers.data.PreferenceRecord;
import troupe.trainers.data.RecordKind;
import troupe.v1.DataCursor;
import troupe.v1.TokenSequence;

/** Chosen/rejected pairs of a JSON-lines file ({"prompt", "chosen", "rejected"}, TRL's names), tokenized on use. */
final class PreferencePairs implements TrainingExamples {
  private final FileData<PreferenceRecord> data;

  private PreferencePairs(FileData<PreferenceRecord> data) {
    this.data = data;
  }

  static PreferencePairs read(Path file, int maxBad, float evalFraction, long seed) {
    return new PreferencePairs(FileData.open(file, RecordKind.PREFERENCE, maxBad, evalFraction, seed));
  }

  @Override
  public List<Integer> nextTrainBatch(int size) {
    return data.nextTrainBatch(size);
  }

  @Override
  public DataCursor cursor() {
    return data.cursor();
  }

  @Override
  public void seek(DataCursor at) {
    data.seek(at);
  }

  @Override
  public List<Integer> heldOut() {
    return data.heldOut();
  }

  /** Chosen and rejected of pair {@code i}, from one read of its record. */
  TokenSequence[] pair(int i) {
    PreferenceRecord r = data.get(i);
    return new TokenSequence[] {data.sequence(i, r.prompt(), r.chosen(), "chosen"),
        data.sequence(i, r.prompt(), r.rejected(), "rejected")};
  }

  TokenSequence chosen(int i) {
    PreferenceRecord r = data.get(i);
    return data.sequence(i, r.prompt(), r.chosen(), "chosen");
  }

  TokenSequence rejected(int i) {
    PreferenceRecord r = data.get(i);
    return data.sequence(i, r.prompt(), r.rejected(), "rejected");
  }

  @Override
  public BadLines badLines() {
    return data.badLines();
  }
}
