package troupe.diffusion.reward;

import troupe.diffusion.shapes.NamedColor;
import troupe.diffusion.shapes.ShapeKind;

/**
 * One 4-connected component of same-colour pixels: its area, bounding box (inclusive), pixel centroid and the shape
 * it looks like, or null when it looks like none of them.
 */
public record Blob(NamedColor color, int area, int minX, int minY, int maxX, int maxY, double centroidX,
    double centroidY, ShapeKind shape) {

  public int width() {
    return maxX - minX + 1;
  }

  public int height() {
    return maxY - minY + 1;
  }
}
