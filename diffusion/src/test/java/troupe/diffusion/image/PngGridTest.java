package troupe.diffusion.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Dimension;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.diffusion.shapes.Prompt;
import troupe.diffusion.shapes.ShapesWorld;

class PngGridTest {
  @TempDir
  Path dir;

  @Test
  void writesRowsOfUpscaledImagesWithLabelsAndReadsBackPixelExact() throws Exception {
    ShapesWorld world = new ShapesWorld(0.1);
    Random random = new Random(1);
    List<String> labels = List.of("two red circles", "a blue square left of a green triangle at step 100: 75%");
    List<List<RgbImage>> rows = new ArrayList<>();
    for (String label : List.of("two red circles", "a blue square left of a green triangle")) {
      List<RgbImage> row = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        row.add(world.render(Prompt.parse(label), 32, random));
      }
      rows.add(row);
    }
    int scale = 2;
    Path file = dir.resolve("grids/step-100.png");
    Dimension reported = PngGrid.write(file, labels, rows, scale);

    BufferedImage png = ImageIO.read(file.toFile());
    int cell = 32 * scale;
    int labelHeight = 7 * PngGrid.fontScale(scale) + 2 * PngGrid.LABEL_PADDING;
    assertEquals(new Dimension(2 + 3 * (cell + 2), 2 + 2 * (cell + labelHeight + 2)), reported);
    assertEquals(reported.width, png.getWidth());
    assertEquals(reported.height, png.getHeight());

    // Source pixel (x, y) of image c in row r covers a scale x scale block of the grid.
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        RgbImage source = rows.get(r).get(c);
        for (int[] xy : new int[][] {{0, 0}, {13, 21}, {31, 31}, {16, 5}}) {
          int[] rgb = source.rgb(xy[0], xy[1]);
          int gx = 2 + c * (cell + 2) + xy[0] * scale + 1;
          int gy = 2 + r * (cell + labelHeight + 2) + xy[1] * scale + 1;
          assertEquals((rgb[0] << 16) | (rgb[1] << 8) | rgb[2], png.getRGB(gx, gy) & 0xffffff);
        }
      }
    }
    assertEquals(PngGrid.GUTTER_RGB, png.getRGB(0, 0) & 0xffffff);
    assertTrue(hasWhite(png, 2 + cell), "label text under the first row");
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "no temporary file left behind");
    }
  }

  @Test
  void rejectsMismatchedLabelsAndSizes() {
    List<List<RgbImage>> rows = List.of(List.of(RgbImage.blank(8)), List.of(RgbImage.blank(16)));
    assertThrows(IllegalArgumentException.class, () -> PngGrid.render(List.of("a"), rows, 1));
    assertThrows(IllegalArgumentException.class, () -> PngGrid.render(List.of("a", "b"), rows, 1));
  }

  private static boolean hasWhite(BufferedImage png, int top) {
    for (int y = top; y < top + 11; y++) {
      for (int x = 0; x < png.getWidth(); x++) {
        if ((png.getRGB(x, y) & 0xffffff) == 0xffffff) {
          return true;
        }
      }
    }
    return false;
  }
}
