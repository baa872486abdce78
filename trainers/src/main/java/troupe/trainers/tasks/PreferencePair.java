package troupe.trainers.tasks;

/**
 * A chosen/rejected pair picked from N scored samples of one prompt: the best against the worst (the first of each
 * on equal scores). No pair when every sample scores the same: a tie teaches a preference model nothing.
 */
public record PreferencePair(int chosen, int rejected) {

  /** The pair of a group's rewards, or null on a tie. */
  public static PreferencePair bestAndWorst(float[] rewards) {
    if (rewards.length < 2) {
      throw new IllegalArgumentException("a preference pair needs at least 2 samples, got " + rewards.length);
    }
    int best = 0;
    int worst = 0;
    for (int i = 1; i < rewards.length; i++) {
      if (rewards[i] > rewards[best]) {
        best = i;
      }
      if (rewards[i] < rewards[worst]) {
        worst = i;
      }
    }
    return rewards[best] > rewards[worst] ? new PreferencePair(best, worst) : null;
  }
}
