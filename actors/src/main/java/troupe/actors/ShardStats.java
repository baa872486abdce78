package troupe.actors;

import java.util.Map;
import java.util.TreeMap;
import troupe.v1.StepMetrics;

/** What the sharded calls of one step did: items served per role and node, shards re-issued, answers dropped. */
final class ShardStats {
  private final Map<String, Integer> served = new TreeMap<>();
  private int reissued;
  private int duplicates;

  synchronized void served(String roleAtNode, int items) {
    served.merge(roleAtNode, items, Integer::sum);
  }

  synchronized void reissued() {
    reissued++;
  }

  synchronized void duplicateDropped() {
    duplicates++;
  }

  /** Writes the counts into a step's metrics and starts counting the next step. */
  synchronized StepMetrics.Builder drainInto(StepMetrics.Builder metrics) {
    metrics.putAllServed(served).setReissuedShards(reissued).setDuplicatesDropped(duplicates);
    reset();
    return metrics;
  }

  /** Forgets what was counted (evaluations between steps are not part of the next step). */
  synchronized void reset() {
    served.clear();
    reissued = 0;
    duplicates = 0;
  }
}
