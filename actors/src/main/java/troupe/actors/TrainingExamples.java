package troupe.actors;

import java.util.List;
import troupe.trainers.data.BadLines;
import troupe.v1.DataCursor;

/**
 * Examples of a file a stage trains on: batches of indices in shuffled epochs, where the epochs stand (for resume
 * points), the held-out indices, and the lines that were skipped.
 */
interface TrainingExamples {
  List<Integer> nextTrainBatch(int size);

  DataCursor cursor();

  void seek(DataCursor at);

  List<Integer> heldOut();

  BadLines badLines();
}
