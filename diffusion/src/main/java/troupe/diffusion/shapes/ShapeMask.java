package troupe.diffusion.shapes;

/**
 * The pixels of one filled shape in its side x side bounding box (row-major), and the centroid of those pixels.
 * The centroid, not the box centre, is what the verifier measures, so the renderer places objects by it too.
 */
public record ShapeMask(ShapeKind kind, int side, boolean[] filled, double centroidX, double centroidY) {

  public static ShapeMask of(ShapeKind kind, int side) {
    if (side < 2) {
      throw new IllegalArgumentException("shape side must be at least 2 px, got " + side);
    }
    boolean[] filled = new boolean[side * side];
    double sumX = 0;
    double sumY = 0;
    int area = 0;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        if (inside(kind, side, x, y)) {
          filled[y * side + x] = true;
          sumX += x;
          sumY += y;
          area++;
        }
      }
    }
    return new ShapeMask(kind, side, filled, sumX / area, sumY / area);
  }

  public boolean filled(int x, int y) {
    return filled[y * side + x];
  }

  /** Pixel centres tested against the continuous shape, so every shape touches all four sides of its box. */
  private static boolean inside(ShapeKind kind, int side, int x, int y) {
    double half = side / 2.0;
    return switch (kind) {
      case SQUARE -> true;
      case CIRCLE -> {
        double c = (side - 1) / 2.0;
        yield (x - c) * (x - c) + (y - c) * (y - c) <= half * half;
      }
      // Apex at the top, base (the full width) at the bottom: the half-width grows by half a pixel per row.
      case TRIANGLE -> Math.abs(x + 0.5 - half) <= (y + 1) / 2.0;
    };
  }
}
