package troupe.diffusion.shapes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import troupe.diffusion.image.RgbImage;

class SceneRendererTest {
  static final ShapesWorld WORLD = new ShapesWorld(0.1);

  @Test
  void layoutsKeepSizesMarginsGapsAndUnambiguousRelations() {
    Random random = new Random(1);
    for (int size : new int[] {16, 17, 23, 32, 48, 64, 100}) {
      for (Prompt p : WORLD.all()) {
        List<Placed> objects = SceneRenderer.layout(p, size, random);
        int[] sides = SceneRenderer.sideRange(p, size);
        for (Placed o : objects) {
          String where = "size " + size + " " + p.text() + " " + o;
          assertTrue(o.mask().side() >= sides[0] && o.mask().side() <= sides[1], where);
          assertTrue(o.x0() >= 1 && o.y0() >= 1 && o.x1() <= size - 2 && o.y1() <= size - 2, where);
        }
        for (int i = 0; i < objects.size(); i++) {
          for (int j = i + 1; j < objects.size(); j++) {
            assertTrue(objects.get(i).clearOf(objects.get(j), 2), p.text());
          }
        }
        if (p instanceof CountPrompt c) {
          assertEquals(c.count(), objects.size());
        } else {
          RelationPrompt r = (RelationPrompt) p;
          Placed a = objects.get(0);
          Placed b = objects.get(1);
          assertEquals(r.firstColor(), a.color());
          assertEquals(r.secondShape(), b.mask().kind());
          double main = r.relation().mainOffset(a.centroidX(), a.centroidY(), b.centroidX(), b.centroidY());
          double cross = r.relation().crossOffset(a.centroidX(), a.centroidY(), b.centroidX(), b.centroidY());
          assertTrue(main >= size / 4.0 && main >= 1.5 * cross, p.text());
        }
      }
    }
  }

  @Test
  void objectSidesAt32MatchTheSpec() {
    assertArrayEquals(new int[] {7, 11}, SceneRenderer.sideRange(Prompt.parse("a red circle"), 32));
    assertArrayEquals(new int[] {8, 12}, SceneRenderer.sideRange(Prompt.parse("a red circle above a blue circle"), 32));
  }

  @Test
  void renderingIsDeterministicGivenTheRandomAndVariesAcrossSeeds() {
    Prompt p = Prompt.parse("a yellow triangle below a blue square");
    RgbImage a = WORLD.render(p, 32, new Random(9));
    RgbImage b = WORLD.render(p, 32, new Random(9));
    RgbImage c = WORLD.render(p, 32, new Random(10));
    assertArrayEquals(a.chw(), b.chw());
    assertFalse(Arrays.equals(a.chw(), c.chw()));
  }

  @Test
  void imagesHoldOnlyBlackAndThePromptsColoursWithABlackBorder() {
    Random random = new Random(2);
    for (Prompt p : List.of(Prompt.parse("three green squares"), Prompt.parse("a red circle right of a blue triangle"))) {
      RgbImage image = WORLD.render(p, 32, random);
      Set<List<Integer>> colours = new HashSet<>();
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          int[] rgb = image.rgb(x, y);
          colours.add(List.of(rgb[0], rgb[1], rgb[2]));
          if (x == 0 || y == 0 || x == 31 || y == 31) {
            assertArrayEquals(new int[] {0, 0, 0}, rgb);
          }
        }
      }
      Set<List<Integer>> expected = new HashSet<>();
      expected.add(List.of(0, 0, 0));
      for (NamedColor c : NamedColor.values()) {
        if (p.text().contains(c.word())) {
          expected.add(List.of(c.r(), c.g(), c.b()));
        }
      }
      assertEquals(expected, colours);
    }
  }

  @Test
  void masksHaveTheirShapeAndFillTheirBox() {
    ShapeMask square = ShapeMask.of(ShapeKind.SQUARE, 8);
    ShapeMask disc = ShapeMask.of(ShapeKind.CIRCLE, 8);
    ShapeMask triangle = ShapeMask.of(ShapeKind.TRIANGLE, 8);
    assertEquals(64, area(square));
    assertEquals(52, area(disc));
    assertEquals(40, area(triangle));
    // Triangle: apex up (narrow top row), full-width base at the bottom; centroid below the box centre.
    assertTrue(triangle.filled(3, 0) && !triangle.filled(0, 0) && triangle.filled(0, 7) && triangle.filled(7, 7));
    assertTrue(triangle.centroidY() > 3.5);
    assertFalse(disc.filled(0, 0));
    assertTrue(disc.filled(0, 3) && disc.filled(3, 0));
  }

  @Test
  void rejectsImagesSmallerThan16() {
    assertThrows(IllegalArgumentException.class, () -> WORLD.render(Prompt.parse("a red circle"), 15, new Random(1)));
  }

  private static int area(ShapeMask mask) {
    int n = 0;
    for (boolean b : mask.filled()) {
      n += b ? 1 : 0;
    }
    return n;
  }
}
