package troupe.diffusion.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import troupe.diffusion.image.RgbImage;

/** Draws a prompt's objects as filled shapes on black at random, non-touching, unambiguous positions. */
final class SceneRenderer {
  static final int MIN_SIZE = 16;
  /** Empty pixels between each object and the image border. */
  static final int MARGIN = 1;
  /** Empty pixels between the bounding boxes of two objects, so they never merge into one component. */
  static final int GAP = 2;
  /** A relation's main-axis offset must be at least this multiple of the cross-axis offset. */
  static final double AXIS_DOMINANCE = 1.5;
  // Bounds on random placement, so an impossible request fails instead of looping forever.
  static final int MAX_LAYOUTS = 200;
  static final int MAX_TRIES_PER_OBJECT = 100;
  static final int MAX_PAIR_TRIES = 20_000;

  private SceneRenderer() {}

  static RgbImage render(Prompt prompt, int size, Random random) {
    RgbImage image = RgbImage.blank(size);
    for (Placed placed : layout(prompt, size, random)) {
      draw(image, placed);
    }
    return image;
  }

  static List<Placed> layout(Prompt prompt, int size, Random random) {
    if (size < MIN_SIZE) {
      throw new IllegalArgumentException("image size must be at least " + MIN_SIZE + ", got " + size);
    }
    if (prompt instanceof CountPrompt p) {
      return countLayout(p, size, random);
    }
    return relationLayout((RelationPrompt) prompt, size, random);
  }

  /** Object sides at size 32 are 7..11 px for count prompts and 8..12 for relation prompts; they scale with size. */
  static int[] sideRange(Prompt prompt, int size) {
    int low = prompt instanceof CountPrompt ? 7 : 8;
    return new int[] {(int) Math.round(low * size / 32.0), (int) Math.round((low + 4) * size / 32.0)};
  }

  private static List<Placed> countLayout(CountPrompt prompt, int size, Random random) {
    int[] sides = sideRange(prompt, size);
    for (int layout = 0; layout < MAX_LAYOUTS; layout++) {
      List<Placed> placed = new ArrayList<>();
      for (int tries = 0; tries < MAX_TRIES_PER_OBJECT && placed.size() < prompt.count(); tries++) {
        Placed candidate = randomObject(prompt.shape(), prompt.color(), sides, size, random);
        if (placed.stream().allMatch(other -> candidate.clearOf(other, GAP))) {
          placed.add(candidate);
        }
      }
      if (placed.size() == prompt.count()) {
        return placed;
      }
    }
    throw new IllegalStateException("could not place the objects of \"" + prompt.text() + "\" after " + MAX_LAYOUTS
        + " layouts");
  }

  private static List<Placed> relationLayout(RelationPrompt prompt, int size, Random random) {
    int[] sides = sideRange(prompt, size);
    double minOffset = size / 4.0;
    for (int tries = 0; tries < MAX_PAIR_TRIES; tries++) {
      Placed first = randomObject(prompt.firstShape(), prompt.firstColor(), sides, size, random);
      Placed second = randomObject(prompt.secondShape(), prompt.secondColor(), sides, size, random);
      if (!first.clearOf(second, GAP)) {
        continue;
      }
      Relation r = prompt.relation();
      double main = r.mainOffset(first.centroidX(), first.centroidY(), second.centroidX(), second.centroidY());
      double cross = r.crossOffset(first.centroidX(), first.centroidY(), second.centroidX(), second.centroidY());
      if (main >= minOffset && main >= AXIS_DOMINANCE * cross) {
        return List.of(first, second);
      }
    }
    throw new IllegalStateException("could not place the objects of \"" + prompt.text() + "\" after " + MAX_PAIR_TRIES
        + " tries");
  }

  /** A shape with a random side in [sides[0], sides[1]] fully inside the image with the margin. */
  private static Placed randomObject(ShapeKind kind, NamedColor color, int[] sides, int size, Random random) {
    int side = sides[0] + random.nextInt(sides[1] - sides[0] + 1);
    int positions = size - 2 * MARGIN - side + 1;
    int x0 = MARGIN + random.nextInt(positions);
    int y0 = MARGIN + random.nextInt(positions);
    return new Placed(ShapeMask.of(kind, side), color, x0, y0);
  }

  private static void draw(RgbImage image, Placed placed) {
    ShapeMask mask = placed.mask();
    NamedColor c = placed.color();
    for (int y = 0; y < mask.side(); y++) {
      for (int x = 0; x < mask.side(); x++) {
        if (mask.filled(x, y)) {
          image.set(placed.x0() + x, placed.y0() + y, c.r(), c.g(), c.b());
        }
      }
    }
  }
}
