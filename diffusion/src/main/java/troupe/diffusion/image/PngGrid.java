package troupe.diffusion.image;

import java.awt.Dimension;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG contact sheet: one row of images per label, images side by side, upscaled by nearest neighbour, with the
 * label under its row. Layout, top to bottom per row: gutter, images, label strip; one final gutter at the bottom.
 */
public final class PngGrid {
  public static final int GUTTER = 2;
  public static final int GUTTER_RGB = 0x404040;
  public static final int TEXT_RGB = 0xffffff;
  /** Blank pixels above and below the label text. */
  public static final int LABEL_PADDING = 2;

  private PngGrid() {}

  /**
   * Writes the grid to file through a temporary file in the same directory and an atomic rename, so readers never
   * see half a PNG. All images must have the same size. Returns the PNG's width and height.
   */
  public static Dimension write(Path file, List<String> labels, List<List<RgbImage>> rows, int scale)
      throws IOException {
    BufferedImage grid = render(labels, rows, scale);
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
    try {
      if (!ImageIO.write(grid, "png", temp.toFile())) {
        throw new IOException("no PNG writer in javax.imageio");
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
    return new Dimension(grid.getWidth(), grid.getHeight());
  }

  /** The label text scale: labels stay readable next to upscaled images. */
  public static int fontScale(int scale) {
    return Math.max(1, scale / 2);
  }

  /** Height of the strip under each row that holds its label. */
  public static int labelHeight(int scale) {
    return BitmapFont.height(fontScale(scale)) + 2 * LABEL_PADDING;
  }

  /** The grid as an image, laid out as described on the class. */
  public static BufferedImage render(List<String> labels, List<List<RgbImage>> rows, int scale) {
    if (scale < 1) {
      throw new IllegalArgumentException("scale must be at least 1, got " + scale);
    }
    if (labels.size() != rows.size() || rows.isEmpty()) {
      throw new IllegalArgumentException("need one label per row and at least one row, got " + labels.size()
          + " labels and " + rows.size() + " rows");
    }
    int imageSize = -1;
    int columns = 0;
    for (List<RgbImage> row : rows) {
      columns = Math.max(columns, row.size());
      for (RgbImage image : row) {
        if (imageSize >= 0 && image.size() != imageSize) {
          throw new IllegalArgumentException("all grid images must have one size, got " + imageSize + " and "
              + image.size());
        }
        imageSize = image.size();
      }
    }
    if (imageSize < 0) {
      throw new IllegalArgumentException("the grid has no images");
    }
    int cell = imageSize * scale;
    int labelHeight = labelHeight(scale);
    int width = GUTTER + columns * (cell + GUTTER);
    int height = GUTTER + rows.size() * (cell + labelHeight + GUTTER);
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    fillRect(out, 0, 0, width, height, GUTTER_RGB);
    int fontScale = fontScale(scale);
    for (int r = 0; r < rows.size(); r++) {
      int top = GUTTER + r * (cell + labelHeight + GUTTER);
      List<RgbImage> row = rows.get(r);
      for (int c = 0; c < row.size(); c++) {
        drawScaled(out, row.get(c), GUTTER + c * (cell + GUTTER), top, scale);
      }
      int labelTop = top + cell;
      fillRect(out, 0, labelTop, width, labelHeight, 0x000000);
      String text = BitmapFont.fit(labels.get(r), width - 2 * GUTTER, fontScale);
      BitmapFont.draw(out, text, GUTTER, labelTop + LABEL_PADDING, TEXT_RGB, fontScale);
    }
    return out;
  }

  private static void drawScaled(BufferedImage out, RgbImage image, int left, int top, int scale) {
    for (int y = 0; y < image.size(); y++) {
      for (int x = 0; x < image.size(); x++) {
        int[] p = image.rgb(x, y);
        fillRect(out, left + x * scale, top + y * scale, scale, scale, (p[0] << 16) | (p[1] << 8) | p[2]);
      }
    }
  }

  private static void fillRect(BufferedImage out, int left, int top, int width, int height, int rgb) {
    for (int y = top; y < top + height; y++) {
      for (int x = left; x < left + width; x++) {
        out.setRGB(x, y, rgb);
      }
    }
  }
}
