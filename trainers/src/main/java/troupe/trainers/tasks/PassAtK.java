package troupe.trainers.tasks;

/**
 * pass@k, the chance that at least one of k samples is right, estimated without bias from n >= k samples per
 * problem of which c are right (Chen et al. 2021): {@code 1 - C(n - c, k) / C(n, k)}, averaged over problems.
 */
public final class PassAtK {
  private PassAtK() {}

  /** One problem: n samples, c correct. Computed as a product, so large n cannot overflow. */
  public static double of(int n, int c, int k) {
    if (k < 1 || k > n || c < 0 || c > n) {
      throw new IllegalArgumentException("need 1 <= k <= n and 0 <= c <= n, got n=" + n + " c=" + c + " k=" + k);
    }
    if (n - c < k) {
      return 1.0; // every k-subset contains a right sample
    }
    double allWrong = 1.0;
    for (int i = n - c + 1; i <= n; i++) {
      allWrong *= 1.0 - (double) k / i;
    }
    return 1.0 - allWrong;
  }

  /** The mean over problems, each with n samples and correct[p] of them right. */
  public static double mean(int n, int[] correct, int k) {
    double sum = 0;
    for (int c : correct) {
      sum += of(n, c, k);
    }
    return correct.length == 0 ? 0 : sum / correct.length;
  }
}
