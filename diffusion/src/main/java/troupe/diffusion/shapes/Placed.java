package troupe.diffusion.shapes;

/** A shape mask put at (x0, y0) in an image, in one colour. */
public record Placed(ShapeMask mask, NamedColor color, int x0, int y0) {

  /** Last column of the bounding box (inclusive). */
  public int x1() {
    return x0 + mask.side() - 1;
  }

  /** Last row of the bounding box (inclusive). */
  public int y1() {
    return y0 + mask.side() - 1;
  }

  public double centroidX() {
    return x0 + mask.centroidX();
  }

  public double centroidY() {
    return y0 + mask.centroidY();
  }

  /** True when at least gap empty pixels separate the two bounding boxes along x or along y. */
  public boolean clearOf(Placed other, int gap) {
    return other.x0 > x1() + gap || x0 > other.x1() + gap || other.y0 > y1() + gap || y0 > other.y1() + gap;
  }
}
