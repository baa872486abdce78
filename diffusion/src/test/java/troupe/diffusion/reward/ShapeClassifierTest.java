package troupe.diffusion.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import troupe.diffusion.shapes.ShapeKind;
import troupe.diffusion.shapes.ShapeMask;

class ShapeClassifierTest {

  @Test
  void namesEveryRenderedShapeFromSide4To40() {
    for (ShapeKind kind : ShapeKind.values()) {
      for (int side = 4; side <= 40; side++) {
        ShapeMask mask = ShapeMask.of(kind, side);
        assertEquals(kind, ShapeClassifier.classify(mask.filled(), side, side), kind + " of side " + side);
      }
    }
  }

  @Test
  void aOnePixelSpurDoesNotChangeTheShape() {
    ShapeMask square = ShapeMask.of(ShapeKind.SQUARE, 8);
    // The square in a 8x9 box with one extra pixel under its bottom edge.
    boolean[] spurred = Arrays.copyOf(square.filled(), 8 * 9);
    spurred[8 * 8 + 3] = true;
    assertEquals(ShapeKind.SQUARE, ShapeClassifier.classify(spurred, 8, 9));
  }

  @Test
  void elongatedAndUpsideDownBlobsAreNoShape() {
    boolean[] bar = new boolean[12 * 4];
    Arrays.fill(bar, true);
    assertNull(ShapeClassifier.classify(bar, 12, 4));
    ShapeMask triangle = ShapeMask.of(ShapeKind.TRIANGLE, 10);
    boolean[] flipped = new boolean[100];
    for (int y = 0; y < 10; y++) {
      for (int x = 0; x < 10; x++) {
        flipped[y * 10 + x] = triangle.filled(x, 9 - y);
      }
    }
    assertNull(ShapeClassifier.classify(flipped, 10, 10));
  }
}
