package troupe.diffusion.reward;

import troupe.diffusion.shapes.ShapeKind;

/**
 * Names the shape of a component from its mask inside its bounding box. Three measurements suffice for this world:
 * fill (area / box area: square ~1, disc ~0.8, triangle ~0.5-0.65 at small sizes), taper (mean row width of the top
 * third over the bottom third: triangle well below 1, disc and square ~1) and how many box corners are filled
 * (square 4, disc 0) which separates small discs, whose fill can reach 0.89, from squares. A mask that looks like
 * no shape is measured once more after removing one-pixel spurs, which noise leaves on generated images.
 */
public final class ShapeClassifier {
  /** Boxes more elongated than this are none of the shapes (all of them have square boxes). */
  static final double MAX_ASPECT = 1.6;
  /** Rendered triangles taper to 0.2-0.5; blur and a missing apex push that up, never to 0.6. */
  static final double TRIANGLE_MAX_TAPER = 0.6;
  static final double TRIANGLE_MAX_FILL = 0.8;
  static final double SYMMETRIC_MIN_TAPER = 0.75;
  static final double SQUARE_MIN_FILL = 0.9;
  /** A square that lost its corners to blur still fills its box; with filled corners a bit less is enough. */
  static final double SQUARE_WITH_CORNERS_MIN_FILL = 0.85;
  static final double CIRCLE_MIN_FILL = 0.65;

  private ShapeClassifier() {}

  /** mask is row-major width x height; returns null when the component looks like none of the shapes. */
  public static ShapeKind classify(boolean[] mask, int width, int height) {
    ShapeKind raw = classifyBox(mask, width, height);
    if (raw != null) {
      return raw;
    }
    // Retry without one-pixel spurs: a stray pixel stuck to an edge stretches the box and skews the rows. Only as a
    // retry, because opening also cuts a small triangle's one-pixel apex.
    boolean[] opened = open(mask, width, height);
    int minX = width;
    int minY = height;
    int maxX = -1;
    int maxY = -1;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        if (opened[y * width + x]) {
          minX = Math.min(minX, x);
          minY = Math.min(minY, y);
          maxX = Math.max(maxX, x);
          maxY = Math.max(maxY, y);
        }
      }
    }
    if (maxX < 0) {
      return null;
    }
    int w = maxX - minX + 1;
    int h = maxY - minY + 1;
    boolean[] core = new boolean[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        core[y * w + x] = opened[(y + minY) * width + x + minX];
      }
    }
    return classifyBox(core, w, h);
  }

  /**
   * Morphological opening with a 2x2 square: keeps exactly the pixels that lie in some fully filled 2x2 block, which
   * removes one-pixel-wide spurs.
   */
  static boolean[] open(boolean[] mask, int width, int height) {
    boolean[] out = new boolean[width * height];
    for (int y = 0; y + 1 < height; y++) {
      for (int x = 0; x + 1 < width; x++) {
        int at = y * width + x;
        if (mask[at] && mask[at + 1] && mask[at + width] && mask[at + width + 1]) {
          out[at] = true;
          out[at + 1] = true;
          out[at + width] = true;
          out[at + width + 1] = true;
        }
      }
    }
    return out;
  }

  /** Classifies a mask whose bounding box is exactly width x height. */
  private static ShapeKind classifyBox(boolean[] mask, int width, int height) {
    double aspect = (double) width / height;
    if (aspect > MAX_ASPECT || aspect < 1 / MAX_ASPECT) {
      return null;
    }
    int area = 0;
    int[] rowWidth = new int[height];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        if (mask[y * width + x]) {
          rowWidth[y]++;
          area++;
        }
      }
    }
    double fill = (double) area / (width * height);
    int third = Math.max(1, height / 3);
    double top = 0;
    double bottom = 0;
    for (int i = 0; i < third; i++) {
      top += rowWidth[i];
      bottom += rowWidth[height - 1 - i];
    }
    double taper = bottom == 0 ? Double.POSITIVE_INFINITY : top / bottom;
    int corners = (mask[0] ? 1 : 0) + (mask[width - 1] ? 1 : 0) + (mask[(height - 1) * width] ? 1 : 0)
        + (mask[height * width - 1] ? 1 : 0);

    if (taper < TRIANGLE_MAX_TAPER && fill < TRIANGLE_MAX_FILL) {
      return ShapeKind.TRIANGLE;
    }
    if (taper < SYMMETRIC_MIN_TAPER || taper > 1 / SYMMETRIC_MIN_TAPER) {
      return null;
    }
    if (fill >= SQUARE_MIN_FILL || (corners >= 3 && fill >= SQUARE_WITH_CORNERS_MIN_FILL)) {
      return ShapeKind.SQUARE;
    }
    if (fill >= CIRCLE_MIN_FILL && corners <= 1) {
      return ShapeKind.CIRCLE;
    }
    return null;
  }
}
