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
  private final int[] row;      // per sequence: the grid row it sits in (several when packed)
  private final int[] start;    // per sequence: the column of its first completion token
  private final int[] length;   // per sequence: its completion tokens
  private final int gridRows;
  private final int columns;

  private TokenBatch(NDArray inputs, NDArray positions, NDArray keyMask, NDArray targets, NDArray completionMask,
      int[] row, int[] start, int[] length, int gridRows, int columns) {
    this.inputs = inputs;
    this.positions = positions;
    this.keyMask = keyMask;
    this.targets = targets;
    this.completionMask = completionMask;
    this.row = row;
    this.start = start;
    this.length = length;
    this.gridRows = gridRows;
    this.columns = columns;
  }

  public static TokenBatch of(NDManager manager, List<TokenSequence> rows, int bos, int pad) {
    List<List<TokenSequence>> oneEach = new ArrayList<>();
    for (TokenSequence r : rows) {
      oneEach.add(List.of(r));
    }
    return layout(manager, oneEach, bos, pad);
  }

  /**
   * Sequences packed in order into rows of at most {@code length} columns (SFT packing). Each keeps its own RoPE
   * positions from 0 and its own segment id in the key mask, so it attends only to itself and its loss and
   * logits are exactly those it would have alone.
   */
  public static TokenBatch packed(NDManager manager, List<TokenSequence> sequences, int bos, int pad, int length) {
    List<List<TokenSequence>> rows = new ArrayList<>();
    List<TokenSequence> current = new ArrayList<>();
    int used = 0;
    for (TokenSequence s : sequences) {
      int need = s.getPromptCount() + s.getCompletionCount(); // inputs are [BOS] + prompt + completion minus one
      if (need > length) {
        throw new IllegalArgumentException("a sequence of " + need + " tokens does not fit a packed row of "
            + length);
      }
      if (used + need > length) {
        rows.add(current);
        current = new ArrayList<>();
        used = 0;
      }
      current.add(s);
      used += need;
    }
    if (!current.isEmpty()) {
      rows.add(current);
    }
    return layout(manager, rows, bos, pad);
  }

  private static TokenBatch layout(NDManager manager, List<List<TokenSequence>> rows, int bos, int pad) {
    int b = rows.size();
    int sequences = 0;
    int columns = 1;
    for (List<TokenSequence> r : rows) {
      int width = 0;
      for (TokenSequence s : r) {
        width += s.getPromptCount() + s.getCompletionCount();
        sequences++;
      }
      columns = Math.max(columns, width);
    }
    int[] inputs = new int[b * columns];
    int[] positions = new int[b * columns];
    float[] keyMask = new float[b * columns];
    int[] targets = new int[b * columns];
    float[] mask = new float[b * columns];
    java.util.Arrays.fill(inputs, pad);
    java.util.Arrays.fill(targets, pad);
    int[] rowOf = new int[sequences];
    int[] start = new int[sequences];
    int[] length = new int[sequences];
    int e = 0;
    for (int i = 0; i < b; i++) {
      int offset = 0;
      int segment = 1;
      for (TokenSequence s : rows.get(i)) {
        int[] full = new int[1 + s.getPromptCount() + s.getCompletionCount()];
        full[0] = bos;
        for (int k = 0; k < s.getPromptCount(); k++) {
          full[1 + k] = s.getPrompt(k);
        }
        for (int k = 0; k < s.getCompletionCount(); k++) {
          full[1 + s.getPromptCount() + k] = s.getCompletion(k);
        }
        rowOf[e] = i;
        start[e] = offset + s.getPromptCount();
        length[e] = s.getCompletionCount();
        for (int j = 0; j < full.length - 1; j++) {
          int at = i * columns + offset + j;
          positions[at] = j;
          inputs[at] = full[j];
          targets[at] = full[j + 1];
          keyMask[at] = segment;
          mask[at] = j >= s.getPromptCount() ? 1f : 0f;
        }
        offset += full.length - 1;
        segment++;
        e++;
      }
    }
    Shape shape = new Shape(b, columns);
    return new TokenBatch(manager.create(inputs, shape), manager.create(positions, shape),
        manager.create(keyMask, shape), manager.create(targets, shape), manager.create(mask, shape),
        rowOf, start, length, b, columns);
  }

  /** The sequences in this batch (grid rows hold one each unless packed). */
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
    float[] grid = new float[gridRows * columns];
    for (int i = 0; i < rows(); i++) {
      float[] values = perRow.get(i);
      if (values.length != length[i]) {
        throw new IllegalArgumentException("row " + i + ": " + values.length + " values for " + length[i]
            + " completion tokens");
      }
      System.arraycopy(values, 0, grid, row[i] * columns + start[i], length[i]);
    }
    return manager.create(grid, new Shape(gridRows, columns));
  }

  /** Reads the completion columns of a [rows, columns] grid back into one array per row. */
  public List<float[]> fromGrid(NDArray grid) {
    float[] all = grid.toFloatArray();
    List<float[]> out = new ArrayList<>(rows());
    for (int i = 0; i < rows(); i++) {
      float[] values = new float[length[i]];
      System.arraycopy(all, row[i] * columns + start[i], values, 0, length[i]);
      out.add(values);
    }
    return out;
  }
}
