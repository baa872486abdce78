package troupe.trainers.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import troupe.v1.TokenSequence;

/**
 * Prompt + completion sequences laid out for one teacher-forced forward pass. Row i holds
 * {@code [BOS] + prompt + completion}, right-padded; column j of {@code targets} is the token that the logits at
 * column j predict (algorithms.md 0.2), so completion token k of row i sits at column {@code |prompt_i| + k}.
 * The completion mask is 1 exactly on those columns: the loss never sees prompt or padding (sections 0.3 and 1).
 */
public final class TokenBatch {
  public final NDArray inputs;
  public final NDArray positions;
  public final NDArray keyMask;
  public final NDArray targets;
  public final NDArray completionMask;
  private final int[] start;
  private final int[] length;
  private final int columns;

  private TokenBatch(NDArray inputs, NDArray positions, NDArray keyMask, NDArray targets, NDArray completionMask,
      int[] start, int[] length, int columns) {
    this.inputs = inputs;
    this.positions = positions;
    this.keyMask = keyMask;
    this.targets = targets;
    this.completionMask = completionMask;
    this.start = start;
    this.length = length;
    this.columns = columns;
  }

  public static TokenBatch of(NDManager manager, List<TokenSequence> rows, int bos, int pad) {
    int b = rows.size();
    int columns = 1;
    for (TokenSequence row : rows) {
      columns = Math.max(columns, row.getPromptCount() + row.getCompletionCount());
    }
    int[] inputs = new int[b * columns];
    int[] positions = new int[b * columns];
    float[] keyMask = new float[b * columns];
    int[] targets = new int[b * columns];
    float[] mask = new float[b * columns];
    int[] start = new int[b];
    int[] length = new int[b];
    for (int i = 0; i < b; i++) {
      TokenSequence row = rows.get(i);
      int[] full = new int[1 + row.getPromptCount() + row.getCompletionCount()];
      full[0] = bos;
      for (int k = 0; k < row.getPromptCount(); k++) {
        full[1 + k] = row.getPrompt(k);
      }
      for (int k = 0; k < row.getCompletionCount(); k++) {
        full[1 + row.getPromptCount() + k] = row.getCompletion(k);
      }
      start[i] = row.getPromptCount();
      length[i] = row.getCompletionCount();
      for (int j = 0; j < columns; j++) {
        int at = i * columns + j;
        positions[at] = j;
        boolean real = j < full.length - 1;
        inputs[at] = real ? full[j] : pad;
        targets[at] = real ? full[j + 1] : pad;
        keyMask[at] = real ? 1f : 0f;
        mask[at] = j >= start[i] && j < start[i] + length[i] ? 1f : 0f;
      }
    }
    Shape shape = new Shape(b, columns);
    return new TokenBatch(manager.create(inputs, shape), manager.create(positions, shape),
        manager.create(keyMask, shape), manager.create(targets, shape), manager.create(mask, shape),
        start, length, columns);
  }

  public int rows() {
    return start.length;
  }

  public int completionTokens() {
    int n = 0;
    for (int l : length) {
      n += l;
    }
    return n;
  }

  /** Places per-completion-token values (e.g. reference log-probs) on this batch's grid; zero elsewhere. */
  public NDArray onGrid(NDManager manager, List<float[]> perRow) {
    float[] grid = new float[rows() * columns];
    for (int i = 0; i < rows(); i++) {
      float[] values = perRow.get(i);
      if (values.length != length[i]) {
        throw new IllegalArgumentException("row " + i + ": " + values.length + " values for " + length[i]
            + " completion tokens");
      }
      System.arraycopy(values, 0, grid, i * columns + start[i], length[i]);
    }
    return manager.create(grid, new Shape(rows(), columns));
  }

  /** Reads the completion columns of a [rows, columns] grid back into one array per row. */
  public List<float[]> fromGrid(NDArray grid) {
    float[] all = grid.toFloatArray();
    List<float[]> out = new ArrayList<>(rows());
    for (int i = 0; i < rows(); i++) {
      float[] values = new float[length[i]];
      System.arraycopy(all, i * columns + start[i], values, 0, length[i]);
      out.add(values);
    }
    return out;
  }
}
