package troupe.actors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import troupe.trainers.data.BadLines;
import troupe.trainers.data.CursorPosition;
import troupe.trainers.data.DataRecord;
import troupe.trainers.data.DatasetSplit;
import troupe.trainers.data.EpochCursor;
import troupe.trainers.data.JsonlDataset;
import troupe.trainers.data.ReadOptions;
import troupe.trainers.data.RecordKind;
import troupe.trainers.data.Split;
import troupe.v1.DataCursor;
import troupe.v1.TokenSequence;

/**
 * A stage's view of a JSON-lines file: an offset index (records are read on demand, so a file larger than memory
 * works), a seeded train/held-out split, and training record indices in shuffled epochs.
 */
final class FileData<R extends DataRecord> implements TrainingExamples {
  private final JsonlDataset<R> data;
  private final EpochCursor<R> cursor;
  private final List<Integer> heldOut = new ArrayList<>();

  private FileData(JsonlDataset<R> data, DatasetSplit<R> split, long seed) {
    this.data = data;
    this.cursor = split.train().cursor(seed);
    for (int i = 0; i < data.size(); i++) {
      if (split.eval().contains(i)) {
        heldOut.add(i);
      }
    }
  }

  static <R extends DataRecord> FileData<R> open(Path file, RecordKind<R> kind, int maxBad, float evalFraction,
      long seed) {
    JsonlDataset<R> data = JsonlDataset.open(file, kind, maxBad > 0 ? ReadOptions.skippingUpTo(maxBad)
        : ReadOptions.strict());
    return new FileData<>(data, data.split(evalFraction > 0 ? Split.fraction(evalFraction) : Split.none(), seed),
        seed);
  }

  @Override
  public List<Integer> nextTrainBatch(int size) {
    List<Integer> out = new ArrayList<>(size);
    for (int k = 0; k < size; k++) {
      cursor.next();
      out.add(cursor.lastRecordIndex());
    }
    return out;
  }

  /** Where the training records stood, for a resume point: the permutation follows from the seed and the epoch. */
  @Override
  public DataCursor cursor() {
    CursorPosition at = cursor.position();
    return DataCursor.newBuilder().setEpoch(at.epoch()).setIndex(at.index()).build();
  }

  /** Goes on from {@link #cursor} (the same file and seed). */
  @Override
  public void seek(DataCursor at) {
    cursor.seek(new CursorPosition(at.getEpoch(), at.getIndex()));
  }

  @Override
  public List<Integer> heldOut() {
    return heldOut;
  }

  R get(int index) {
    return data.get(index);
  }

  @Override
  public BadLines badLines() {
    return data.badLines();
  }

  /** Prompt tokens, then the completion and EOS; a character outside the vocabulary names record and field. */
  TokenSequence sequence(int index, String prompt, String completion, String field) {
    try {
      return RecordTokens.sequence(prompt, completion, field);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(data.file() + ": record " + index + ": " + e.getMessage(), e);
    }
  }
}
