package troupe.actors;

import java.util.LinkedHashMap;
import java.util.Map;

/** Wall time per named phase of a step; laps with the same name add up. */
final class PhaseTimer {
  private final long started = System.nanoTime();
  private long last = started;
  private final Map<String, Double> phases = new LinkedHashMap<>();

  void lap(String phase) {
    long now = System.nanoTime();
    phases.merge(phase, (now - last) / 1e9, Double::sum);
    last = now;
  }

  double total() {
    return (last - started) / 1e9;
  }

  Map<String, Double> phases() {
    return phases;
  }
}
