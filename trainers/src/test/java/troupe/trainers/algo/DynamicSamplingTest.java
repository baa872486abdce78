package troupe.trainers.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class DynamicSamplingTest {
  private static final boolean[] ALL_RIGHT = {true, true, true};
  private static final boolean[] ALL_WRONG = {false, false, false};
  private static final boolean[] MIXED = {true, false, false};

  @Test
  void signalMeansBothOutcomesOrASingleSample() {
    assertTrue(DynamicSampling.hasSignal(MIXED));
    assertFalse(DynamicSampling.hasSignal(ALL_RIGHT));
    assertFalse(DynamicSampling.hasSignal(ALL_WRONG));
    assertTrue(DynamicSampling.hasSignal(new boolean[] {false}));
  }

  /** Rounds handed out in order; each group's payload is its name. */
  private static Supplier<List<DynamicSampling.Group<String>>> rounds(
      List<List<DynamicSampling.Group<String>>> all) {
    Deque<List<DynamicSampling.Group<String>>> left = new ArrayDeque<>(all);
    return left::removeFirst;
  }

  private static DynamicSampling.Group<String> group(String name, boolean[] correct) {
    return new DynamicSampling.Group<>(name, correct);
  }

  @Test
  void dropsGroupsWithoutSignalAndRefillsUntilTheBatchIsFull() {
    var filled = DynamicSampling.fill(3, 10, true, rounds(List.of(
        List.of(group("a", ALL_RIGHT), group("b", MIXED), group("c", ALL_WRONG)),
        List.of(group("d", ALL_WRONG), group("e", MIXED), group("f", ALL_RIGHT)),
        List.of(group("g", MIXED), group("h", MIXED), group("i", MIXED)))));
    assertEquals(List.of("b", "e", "g"), filled.groups()); // the surplus of the last round is left out
    assertEquals(3, filled.rounds());
    assertEquals(4, filled.dropped());
  }

  @Test
  void runningOutOfRoundsReturnsWhatWasFound() {
    var filled = DynamicSampling.fill(2, 2, true, rounds(List.of(
        List.of(group("a", ALL_RIGHT), group("b", MIXED)),
        List.of(group("c", ALL_WRONG), group("d", ALL_RIGHT)))));
    assertEquals(List.of("b"), filled.groups());
    assertEquals(2, filled.rounds());
    assertEquals(3, filled.dropped());
  }

  @Test
  void withoutTheFilterOneRoundIsTakenAsItIs() {
    var filled = DynamicSampling.fill(2, 1, false, rounds(List.of(
        List.of(group("a", ALL_RIGHT), group("b", ALL_WRONG)))));
    assertEquals(List.of("a", "b"), filled.groups());
    assertEquals(1, filled.rounds());
    assertEquals(0, filled.dropped());
  }
}
