package troupe.diffusion.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ShapesWorldTest {

  @Test
  void theSplitPartitionsAllPromptsAndNeverSeparatesEquivalentOnes() {
    for (double fraction : new double[] {0.01, 0.1, 0.25, 0.5}) {
      ShapesWorld world = new ShapesWorld(fraction);
      Set<Prompt> train = new HashSet<>(world.train());
      Set<Prompt> heldOut = new HashSet<>(world.heldOut());
      assertEquals(world.all().size(), train.size() + heldOut.size());
      Set<Prompt> union = new HashSet<>(train);
      union.addAll(heldOut);
      assertEquals(new HashSet<>(world.all()), union);

      Set<Prompt> trainClasses = canonical(world.train());
      for (Prompt p : world.heldOut()) {
        assertTrue(!trainClasses.contains(p.canonical()), () -> "leak: " + p.text());
      }
    }
  }

  @Test
  void theSplitIsStratifiedAndHoldsOutAtLeastOneOfEachKind() {
    ShapesWorld tenth = new ShapesWorld(0.1);
    assertEquals(Math.round(0.1 * 36), countClasses(tenth.heldOut()));
    assertEquals(Math.round(0.1 * 216), relationClasses(tenth.heldOut()));
    ShapesWorld tiny = new ShapesWorld(0.001);
    assertEquals(1, countClasses(tiny.heldOut()));
    assertEquals(1, relationClasses(tiny.heldOut()));
    ShapesWorld none = new ShapesWorld(0);
    assertTrue(none.heldOut().isEmpty());
    assertEquals(none.all(), none.train());
  }

  @Test
  void theSplitIsDeterministic() {
    assertEquals(new ShapesWorld(0.2).heldOut(), new ShapesWorld(0.2).heldOut());
    assertEquals(new ShapesWorld(0.2).train(), new ShapesWorld(0.2).train());
  }

  @Test
  void everyWordStillOccursInTraining() {
    for (double fraction : new double[] {0.1, 0.5, 0.9, 0.99}) {
      ShapesWorld world = new ShapesWorld(fraction);
      Set<String> trainWords = new TreeSet<>();
      for (Prompt p : world.train()) {
        trainWords.addAll(List.of(p.text().split(" ")));
      }
      assertEquals(world.vocabulary(), new ArrayList<>(trainWords), "fraction " + fraction);
    }
  }

  @Test
  void theVocabularyIsSortedAndComplete() {
    List<String> expected = new ArrayList<>(List.of("a", "two", "three", "red", "green", "blue", "yellow", "circle",
        "circles", "square", "squares", "triangle", "triangles", "left", "right", "of", "above", "below"));
    expected.sort(null);
    assertEquals(expected, new ShapesWorld(0.1).vocabulary());
  }

  @Test
  void trainPromptsAreDrawnFromTrainOnlyAndCoverIt() {
    ShapesWorld world = new ShapesWorld(0.2);
    Random random = new Random(7);
    Set<Prompt> seen = new HashSet<>();
    for (int i = 0; i < 20_000; i++) {
      Prompt p = world.trainPrompt(random);
      seen.add(p);
    }
    assertEquals(new HashSet<>(world.train()), seen);
  }

  @Test
  void rejectsFractionsOutsideZeroToOne() {
    assertThrows(IllegalArgumentException.class, () -> new ShapesWorld(-0.1));
    assertThrows(IllegalArgumentException.class, () -> new ShapesWorld(1.0));
    assertThrows(IllegalArgumentException.class, () -> new ShapesWorld(Double.NaN));
  }

  private static Set<Prompt> canonical(List<Prompt> prompts) {
    Set<Prompt> out = new HashSet<>();
    prompts.forEach(p -> out.add(p.canonical()));
    return out;
  }

  private static long countClasses(List<Prompt> prompts) {
    return canonical(prompts).stream().filter(p -> p instanceof CountPrompt).count();
  }

  private static long relationClasses(List<Prompt> prompts) {
    return canonical(prompts).stream().filter(p -> p instanceof RelationPrompt).count();
  }
}
