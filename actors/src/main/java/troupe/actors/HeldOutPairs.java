package troupe.actors;

import java.util.List;
import java.util.function.Function;
import troupe.v1.PreferenceMetrics;

/**
 * Preference metrics over every held-out pair, measured in chunks of a training batch's size so that a large
 * held-out split never becomes one forward pass; the chunks' means are weighted by their pair counts.
 */
final class HeldOutPairs {
  private HeldOutPairs() {}

  static PreferenceMetrics measure(List<Integer> heldOut, int chunk, Function<List<Integer>, PreferenceMetrics> ask) {
    double[] sums = new double[6];
    for (int from = 0; from < heldOut.size(); from += chunk) {
      List<Integer> part = heldOut.subList(from, Math.min(heldOut.size(), from + chunk));
      PreferenceMetrics m = ask.apply(part);
      double[] values = {m.getRewardsChosen(), m.getRewardsRejected(), m.getMargin(), m.getAccuracy(),
          m.getLogpsChosen(), m.getLogpsRejected()};
      for (int k = 0; k < sums.length; k++) {
        sums[k] += values[k] * part.size();
      }
    }
    double n = Math.max(1, heldOut.size());
    return PreferenceMetrics.newBuilder().setRewardsChosen(sums[0] / n).setRewardsRejected(sums[1] / n)
        .setMargin(sums[2] / n).setAccuracy(sums[3] / n).setLogpsChosen(sums[4] / n).setLogpsRejected(sums[5] / n)
        .build();
  }
}
