package troupe.diffusion.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import troupe.diffusion.image.RgbImage;

/**
 * Draws a prompt's objects as filled shapes on black. Each object sits at a fixed slot of its prompt type (one
 * object in the centre; two side by side; three in a triangle; a relation's two objects along its axis), moved by a
 * few pixels of jitter and drawn at a random side. Fixed slots keep each prompt's image distribution nearly
 * unimodal, the way GenEval-style layouts are: a small model trained for minutes on CPU then learns to draw the
 * scene instead of averaging over every possible placement, and what is left to learn is binding colours, shapes
 * and counts to words, which is what Flow-GRPO and the verifier measure.
 */
final class SceneRenderer {
  static final int MIN_SIZE = 16;
  /** Empty pixels between each object and the image border. */
  static final int MARGIN = 1;
  /** Empty pixels between the bounding boxes of two objects, so they never merge into one component. */
  static final int GAP = 2;
  /** A relation's main-axis offset must be at least this multiple of the cross-axis offset. */
  static final double AXIS_DOMINANCE = 1.5;
  /** Largest shift of an object from its slot centre at size 32, in pixels; it scales with size. */
  static final int JITTER_AT_32 = 2;
  /** Bound on random draws, so an impossible request fails instead of looping forever. */
  static final int MAX_TRIES = 1000;
  /** Slot centres as fractions of the image side, {x, y} per object, for 1, 2 and 3 objects. */
  private static final double[][][] COUNT_SLOTS = {
    {{0.5, 0.5}},
    {{0.27, 0.5}, {0.73, 0.5}},
    {{0.27, 0.3}, {0.73, 0.3}, {0.5, 0.72}},
  };
  private static final double NEAR = 0.27;
  private static final double FAR = 0.73;

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
    int[] sides = sideRange(prompt, size);
    int jitter = Math.max(1, (int) Math.round(JITTER_AT_32 * size / 32.0));
    for (int tries = 0; tries < MAX_TRIES; tries++) {
      List<Placed> placed = new ArrayList<>();
      if (prompt instanceof CountPrompt p) {
        for (double[] slot : COUNT_SLOTS[p.count() - 1]) {
          placed.add(object(p.shape(), p.color(), slot[0], slot[1], sides, jitter, size, random));
        }
      } else {
        RelationPrompt p = (RelationPrompt) prompt;
        double[] first = firstSlot(p.relation());
        placed.add(object(p.firstShape(), p.firstColor(), first[0], first[1], sides, jitter, size, random));
        placed.add(object(p.secondShape(), p.secondColor(), 1 - first[0], 1 - first[1], sides, jitter, size, random));
      }
      if (separated(placed) && unambiguous(prompt, placed, size)) {
        return placed;
      }
    }
    throw new IllegalStateException("could not place the objects of \"" + prompt.text() + "\" after " + MAX_TRIES
        + " tries");
  }

  /** Where the relation's first object goes; the second takes the mirrored slot through the centre. */
  private static double[] firstSlot(Relation relation) {
    return switch (relation) {
      case LEFT_OF -> new double[] {NEAR, 0.5};
      case RIGHT_OF -> new double[] {FAR, 0.5};
      case ABOVE -> new double[] {0.5, NEAR};
      case BELOW -> new double[] {0.5, FAR};
    };
  }

  /** A relation's main-axis offset is at least a quarter of the image and dominates the cross-axis offset. */
  private static boolean unambiguous(Prompt prompt, List<Placed> placed, int size) {
    if (!(prompt instanceof RelationPrompt p)) {
      return true;
    }
    Placed a = placed.get(0);
    Placed b = placed.get(1);
    double main = p.relation().mainOffset(a.centroidX(), a.centroidY(), b.centroidX(), b.centroidY());
    double cross = p.relation().crossOffset(a.centroidX(), a.centroidY(), b.centroidX(), b.centroidY());
    return main >= size / 4.0 && main >= AXIS_DOMINANCE * cross;
  }

  private static boolean separated(List<Placed> placed) {
    for (int i = 0; i < placed.size(); i++) {
      for (int j = i + 1; j < placed.size(); j++) {
        if (!placed.get(i).clearOf(placed.get(j), GAP)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Object sides at size 32 are 7..11 px for count prompts and 8..12 for relation prompts; they scale with size. */
  static int[] sideRange(Prompt prompt, int size) {
    int low = prompt instanceof CountPrompt ? 7 : 8;
    return new int[] {(int) Math.round(low * size / 32.0), (int) Math.round((low + 4) * size / 32.0)};
  }

  /** A shape with a random side centred near the slot (fx, fy), kept inside the image with the margin. */
  private static Placed object(ShapeKind kind, NamedColor color, double fx, double fy, int[] sides, int jitter,
      int size, Random random) {
    int side = sides[0] + random.nextInt(sides[1] - sides[0] + 1);
    int x0 = clampInside((int) Math.round(fx * size - side / 2.0) + random.nextInt(2 * jitter + 1) - jitter, side, size);
    int y0 = clampInside((int) Math.round(fy * size - side / 2.0) + random.nextInt(2 * jitter + 1) - jitter, side, size);
    return new Placed(ShapeMask.of(kind, side), color, x0, y0);
  }

  private static int clampInside(int start, int side, int size) {
    return Math.max(MARGIN, Math.min(size - MARGIN - side, start));
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
