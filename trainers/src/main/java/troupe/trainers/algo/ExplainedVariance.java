package troupe.trainers.algo;

import java.util.List;

/**
 * How much of the returns' variance the critic explains: {@code 1 - Var(R - V) / Var(R)} over every valid token
 * (verl {@code critic/vf_explained_var}). 1 is perfect, 0 is no better than predicting the mean, below 0 is worse.
 */
public final class ExplainedVariance {
  private ExplainedVariance() {}

  /**
   * @param returns value targets per completion token, one array per row
   * @param values  the critic's values for the same tokens
   * @return the explained variance; 0 when the returns do not vary (nothing to explain)
   */
  public static double of(List<float[]> returns, List<float[]> values) {
    if (returns.size() != values.size()) {
      throw new IllegalArgumentException(returns.size() + " rows of returns for " + values.size() + " of values");
    }
    double n = 0;
    double sumR = 0;
    double sumD = 0;
    for (int i = 0; i < returns.size(); i++) {
      if (returns.get(i).length != values.get(i).length) {
        throw new IllegalArgumentException("row " + i + ": " + returns.get(i).length + " returns for "
            + values.get(i).length + " values");
      }
      for (int t = 0; t < returns.get(i).length; t++) {
        sumR += returns.get(i)[t];
        sumD += returns.get(i)[t] - values.get(i)[t];
        n++;
      }
    }
    if (n == 0) {
      return 0;
    }
    double meanR = sumR / n;
    double meanD = sumD / n;
    double varR = 0;
    double varD = 0;
    for (int i = 0; i < returns.size(); i++) {
      for (int t = 0; t < returns.get(i).length; t++) {
        double r = returns.get(i)[t];
        double d = r - values.get(i)[t];
        varR += (r - meanR) * (r - meanR);
        varD += (d - meanD) * (d - meanD);
      }
    }
    return varR == 0 ? 0 : 1 - varD / varR;
  }
}
