package troupe.diffusion.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.CountPrompt;
import troupe.diffusion.shapes.NamedColor;
import troupe.diffusion.shapes.Prompt;
import troupe.diffusion.shapes.Relation;
import troupe.diffusion.shapes.RelationPrompt;
import troupe.diffusion.shapes.ShapeKind;
import troupe.diffusion.shapes.ShapesWorld;

class CompositionVerifierTest {
  static final ShapesWorld WORLD = new ShapesWorld(0.1);

  @Test
  void everyPromptPassesOnItsOwnRenders() {
    Random random = new Random(1);
    for (int size : new int[] {32, 48, 16, 64}) {
      int renders = size == 32 ? 4 : 1;
      for (Prompt p : WORLD.all()) {
        for (int i = 0; i < renders; i++) {
          RgbImage image = WORLD.render(p, size, random);
          Verdict v = CompositionVerifier.check(p, image);
          assertTrue(v.passed(), () -> "size " + size + " \"" + p.text() + "\": " + v.checks());
          assertEquals(1.0, v.fraction());
        }
      }
    }
  }

  @Test
  void noiseAShiftAndAMildBlurDoNotChangeTheVerdict() {
    Random random = new Random(2);
    for (Prompt p : WORLD.all()) {
      RgbImage image = WORLD.render(p, 32, random);
      RgbImage noisy = Perturb.noise(image, 0.05, random);
      RgbImage shifted = Perturb.shift(noisy, random.nextInt(3) - 1, random.nextInt(3) - 1);
      assertTrue(CompositionVerifier.check(p, shifted).passed(), () -> "noisy, shifted: " + p.text());
      RgbImage blurred = Perturb.noise(Perturb.blur(image), 0.05, random);
      assertTrue(CompositionVerifier.check(p, blurred).passed(), () -> "blurred: " + p.text() + " "
          + CompositionVerifier.check(p, blurred).checks() + " " + Segmenter.segment(blurred));
    }
  }

  @Test
  void imagesOfRandomOtherPromptsFail() {
    Random random = new Random(3);
    List<Prompt> all = WORLD.all();
    for (int i = 0; i < 3000; i++) {
      Prompt drawn = all.get(random.nextInt(all.size()));
      Prompt asked = all.get(random.nextInt(all.size()));
      RgbImage image = WORLD.render(drawn, 32, random);
      boolean same = drawn.canonical().equals(asked.canonical());
      Verdict v = CompositionVerifier.check(asked, image);
      assertEquals(same, v.passed(), () -> "drawn \"" + drawn.text() + "\" asked \"" + asked.text() + "\": "
          + v.checks());
    }
  }

  @Test
  void nearMissesFail() {
    Random random = new Random(4);
    for (Prompt drawn : WORLD.all()) {
      RgbImage image = WORLD.render(drawn, 32, random);
      for (Prompt asked : nearMisses(drawn)) {
        Verdict v = CompositionVerifier.check(asked, image);
        assertEquals(drawn.canonical().equals(asked.canonical()), v.passed(),
            () -> "drawn \"" + drawn.text() + "\" asked \"" + asked.text() + "\": " + v.checks());
      }
    }
  }

  /** Same words but one thing changed: the relation, the colour order, one shape, or the count. */
  static List<Prompt> nearMisses(Prompt p) {
    List<Prompt> out = new ArrayList<>();
    if (p instanceof CountPrompt c) {
      for (int n = 1; n <= CountPrompt.MAX_COUNT; n++) {
        out.add(new CountPrompt(n, c.color(), c.shape()));
      }
      for (ShapeKind s : ShapeKind.values()) {
        out.add(new CountPrompt(c.count(), c.color(), s));
      }
      return out;
    }
    RelationPrompt r = (RelationPrompt) p;
    for (Relation rel : Relation.values()) {
      out.add(new RelationPrompt(r.firstColor(), r.firstShape(), rel, r.secondColor(), r.secondShape()));
      out.add(new RelationPrompt(r.secondColor(), r.firstShape(), rel, r.firstColor(), r.secondShape()));
      out.add(new RelationPrompt(r.secondColor(), r.secondShape(), rel, r.firstColor(), r.firstShape()));
    }
    for (ShapeKind s : ShapeKind.values()) {
      out.add(new RelationPrompt(r.firstColor(), s, r.relation(), r.secondColor(), r.secondShape()));
      out.add(new RelationPrompt(r.firstColor(), r.firstShape(), r.relation(), r.secondColor(), s));
    }
    out.add(new CountPrompt(1, r.firstColor(), r.firstShape()));
    out.add(new CountPrompt(2, r.firstColor(), r.firstShape()));
    return out;
  }

  @Test
  void checksComeInAFixedOrderAndGivePartialCredit() {
    Random random = new Random(5);
    RgbImage three = WORLD.render(Prompt.parse("three red circles"), 32, random);
    Verdict v = CompositionVerifier.check(Prompt.parse("two red circles"), three);
    assertEquals(List.of("color", "count", "shape"), new ArrayList<>(v.checks().keySet()));
    assertEquals(List.of(true, false, true), new ArrayList<>(v.checks().values()));
    assertFalse(v.passed());
    assertEquals(2 / 3.0, v.fraction(), 1e-12);

    RgbImage pair = WORLD.render(Prompt.parse("a red circle left of a blue square"), 32, random);
    Verdict swapped = CompositionVerifier.check(Prompt.parse("a red circle right of a blue square"), pair);
    LinkedHashMap<String, Boolean> expected = new LinkedHashMap<>();
    expected.put("color", true);
    expected.put("count", true);
    expected.put("shape", true);
    expected.put("position", false);
    assertEquals(expected, swapped.checks());
    assertEquals(0.75, swapped.fraction(), 1e-12);
  }

  @Test
  void aBlackImageFailsEveryCheck() {
    Verdict v = CompositionVerifier.check(Prompt.parse("a green triangle above a yellow square"), RgbImage.blank(32));
    assertEquals(4, v.checks().size());
    assertFalse(v.checks().containsValue(true));
    assertEquals(0.0, v.fraction());
  }

  @Test
  void anExtraObjectOfTheSameColourFailsCountButShapeAndPositionUseTheLargest() {
    Random random = new Random(6);
    RelationPrompt p = (RelationPrompt) Prompt.parse("a red square left of a blue circle");
    RgbImage image = WORLD.render(p, 32, random);
    // A 2x2 red speck far from both objects: big enough to count (min area 4 at 32), smaller than the square.
    List<Blob> before = Segmenter.segment(image);
    int[] spot = Perturb.emptySpot(image, 2);
    NamedColor red = NamedColor.RED;
    for (int dy = 0; dy < 2; dy++) {
      for (int dx = 0; dx < 2; dx++) {
        image.set(spot[0] + dx, spot[1] + dy, red.r(), red.g(), red.b());
      }
    }
    assertEquals(before.size() + 1, Segmenter.segment(image).size());
    Verdict v = CompositionVerifier.check(p, image);
    assertEquals(List.of(true, false, true, true), new ArrayList<>(v.checks().values()));
  }
}
