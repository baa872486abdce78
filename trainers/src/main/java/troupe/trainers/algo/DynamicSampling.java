package troupe.trainers.algo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * DAPO's dynamic sampling (algorithms.md section 5.2, item 2): keep only the groups whose raw accuracy is mixed
 * (neither all correct nor all wrong), since a group with equal rewards has zero advantage everywhere, and generate
 * further rounds until the batch holds the wanted number of groups. Filters on the verifier's pass/fail, never on the
 * shaped reward (section 5.4: a length penalty can make rewards differ inside an all-correct group).
 */
public final class DynamicSampling {
  private DynamicSampling() {}

  /** One sampled group: whatever the caller keeps per group, and the verifier's pass/fail of each sample. */
  public record Group<T>(T payload, boolean[] correct) {}

  /** The kept groups (as many as wanted unless the rounds ran out), the rounds it took, the groups dropped. */
  public record Filled<T>(List<T> groups, int rounds, int dropped) {}

  /** True when the group carries a learning signal: a single sample, or both outcomes present. */
  public static boolean hasSignal(boolean[] correct) {
    if (correct.length < 2) {
      return true; // verl keeps groups of one: their std is undefined, not zero
    }
    boolean any = false;
    boolean all = true;
    for (boolean c : correct) {
      any |= c;
      all &= c;
    }
    return any && !all;
  }

  /**
   * Calls {@code round} until {@code wanted} groups are kept, at most {@code maxRounds} times; without
   * {@code filter} one round is taken as it is. Groups beyond {@code wanted} in the last round are left out. When
   * the rounds run out first the batch is smaller than wanted (verl raises instead; a nearly solved task would then
   * end a run that is going well, so the caller trains on what was found and says so).
   */
  public static <T> Filled<T> fill(int wanted, int maxRounds, boolean filter, Supplier<List<Group<T>>> round) {
    if (wanted < 1 || maxRounds < 1) {
      throw new IllegalArgumentException("need wanted >= 1 and maxRounds >= 1, got " + wanted + ", " + maxRounds);
    }
    List<T> kept = new ArrayList<>();
    int dropped = 0;
    int rounds = 0;
    while (kept.size() < wanted && rounds < maxRounds) {
      rounds++;
      for (Group<T> g : round.get()) {
        if (filter && !hasSignal(g.correct())) {
          dropped++;
        } else if (kept.size() < wanted) {
          kept.add(g.payload());
        }
      }
      if (!filter && kept.size() < wanted) {
        throw new IllegalStateException("a generation round returned " + kept.size() + " groups, expected "
            + wanted);
      }
    }
    return new Filled<>(kept, rounds, dropped);
  }
}
