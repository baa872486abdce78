package troupe.trainers.algo;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-token values of completions of different lengths, as the workers send them (one array per row), and the
 * right-padded {@code [B][T]} grids with a 0/1 mask that the advantage estimators take.
 */
public final class RaggedRows {
  private RaggedRows() {}

  /** Row lengths as a mask grid: 1 on the first {@code lengths[i]} columns of row i. */
  public static float[][] mask(int[] lengths) {
    int columns = 0;
    for (int l : lengths) {
      columns = Math.max(columns, l);
    }
    float[][] mask = new float[lengths.length][columns];
    for (int i = 0; i < lengths.length; i++) {
      java.util.Arrays.fill(mask[i], 0, lengths[i], 1f);
    }
    return mask;
  }

  /** The rows right-padded with 0 to {@code columns}. */
  public static float[][] pad(List<float[]> rows, int columns) {
    float[][] grid = new float[rows.size()][columns];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, grid[i], 0, rows.get(i).length);
    }
    return grid;
  }

  /** The first {@code lengths[i]} values of each grid row. */
  public static List<float[]> unpad(float[][] grid, int[] lengths) {
    List<float[]> rows = new ArrayList<>(grid.length);
    for (int i = 0; i < grid.length; i++) {
      rows.add(java.util.Arrays.copyOf(grid[i], lengths[i]));
    }
    return rows;
  }

  /**
   * The named KL estimator per token between two sets of log-probs (e.g. the rollout policy's and the reference's,
   * for a KL penalty in the reward, section 0.5 placement (a)).
   */
  public static List<float[]> klPerToken(String estimator, List<float[]> logProbs, List<float[]> refLogProbs) {
    KlEstimators.Estimator kl = KlEstimators.byName(estimator);
    if (logProbs.size() != refLogProbs.size()) {
      throw new IllegalArgumentException(logProbs.size() + " log-prob rows for " + refLogProbs.size()
          + " reference rows");
    }
    List<float[]> out = new ArrayList<>(logProbs.size());
    try (NDManager m = NDManager.newBaseManager()) {
      for (int i = 0; i < logProbs.size(); i++) {
        if (logProbs.get(i).length != refLogProbs.get(i).length) {
          throw new IllegalArgumentException("row " + i + ": " + logProbs.get(i).length + " log-probs for "
              + refLogProbs.get(i).length + " reference log-probs");
        }
        out.add(logProbs.get(i).length == 0 ? new float[0]
            : kl.estimate(m.create(logProbs.get(i)), m.create(refLogProbs.get(i))).toFloatArray());
      }
    }
    return out;
  }
}
