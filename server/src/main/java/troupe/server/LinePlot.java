package troupe.server;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import troupe.diffusion.image.BitmapFont;

/**
 * A line chart as a PNG: several named series of (x, y) points, axes with tick labels, a legend. Text is drawn with
 * the project's bitmap font, so no system font is needed on a headless server.
 */
final class LinePlot {
  static final int WIDTH = 900;
  static final int HEIGHT = 560;
  static final int[] COLORS = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f,
      0xbcbd22, 0x17becf};
  private static final int LEFT = 70;
  private static final int RIGHT = 270;  // room for the legend
  private static final int TOP = 40;
  private static final int BOTTOM = 50;
  private static final int TEXT = 2;     // font scale

  /** One line: its name and its points, x ascending. */
  record Series(String name, double[] x, double[] y) {
    Series {
      if (x.length != y.length || x.length == 0) {
        throw new IllegalArgumentException("series " + name + " needs as many x as y values, at least one; got "
            + x.length + " and " + y.length);
      }
      for (int i = 0; i < x.length; i++) {
        if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
          throw new IllegalArgumentException("series " + name + " point " + i + " is not finite: (" + x[i] + ", "
              + y[i] + ")");
        }
      }
    }
  }

  private LinePlot() {}

  /** Renders the series; y spans [yMin, yMax], x spans 0 to the largest x rounded up to a tick. */
  static BufferedImage render(String title, String xLabel, String yLabel, List<Series> series, double yMin,
      double yMax) {
    if (series.isEmpty()) {
      throw new IllegalArgumentException("a plot needs at least one series");
    }
    if (series.size() > COLORS.length) {
      throw new IllegalArgumentException("at most " + COLORS.length + " series, got " + series.size());
    }
    double xMax = 0;
    for (Series s : series) {
      for (double v : s.x()) {
        xMax = Math.max(xMax, v);
      }
    }
    double xStep = niceCeiling(xMax / 5); // about five x intervals, at round numbers
    int xTicks = Math.max(1, (int) Math.ceil(xMax / xStep - 1e-9));
    xMax = xTicks * xStep;
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    g.setColor(new Color(0xe0e0e0));
    for (int i = 0; i <= xTicks; i++) {
      int gx = LEFT + plotW * i / xTicks;
      g.drawLine(gx, TOP, gx, TOP + plotH);
      String xt = format(xStep * i);
      BitmapFont.draw(image, xt, gx - BitmapFont.width(xt, TEXT) / 2, TOP + plotH + 8, 0x000000, TEXT);
    }
    for (int i = 0; i <= 5; i++) { // five y intervals
      int gy = TOP + plotH - plotH * i / 5;
      g.drawLine(LEFT, gy, LEFT + plotW, gy);
      String yt = format(yMin + (yMax - yMin) * i / 5);
      BitmapFont.draw(image, yt, LEFT - 8 - BitmapFont.width(yt, TEXT), gy - BitmapFont.height(TEXT) / 2, 0x000000,
          TEXT);
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, plotW, plotH);
    BitmapFont.draw(image, title, (WIDTH - BitmapFont.width(title, TEXT)) / 2, 12, 0x000000, TEXT);
    BitmapFont.draw(image, xLabel, LEFT + (plotW - BitmapFont.width(xLabel, TEXT)) / 2, HEIGHT - 22, 0x000000, TEXT);
    BitmapFont.draw(image, yLabel, 8, TOP - 26, 0x000000, TEXT);
    g.setStroke(new BasicStroke(2f));
    for (int s = 0; s < series.size(); s++) {
      Series line = series.get(s);
      g.setColor(new Color(COLORS[s]));
      int px = -1;
      int py = -1;
      for (int i = 0; i < line.x().length; i++) {
        int x = LEFT + (int) Math.round(plotW * line.x()[i] / xMax);
        double fraction = (Math.max(yMin, Math.min(yMax, line.y()[i])) - yMin) / (yMax - yMin);
        int y = TOP + plotH - (int) Math.round(plotH * fraction);
        if (i > 0) {
          g.drawLine(px, py, x, y);
        }
        g.fillOval(x - 3, y - 3, 7, 7);
        px = x;
        py = y;
      }
      int ly = TOP + 10 + s * 22;
      g.fillRect(LEFT + plotW + 14, ly, 18, 6);
      BitmapFont.draw(image, BitmapFont.fit(line.name(), RIGHT - 44, TEXT), LEFT + plotW + 38, ly - 4, COLORS[s],
          TEXT);
    }
    g.dispose();
    return image;
  }

  static void write(Path file, BufferedImage image) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  /** 1, 2 or 5 times a power of ten, at least the value (axis end). */
  static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String format(double v) {
    return Math.abs(v - Math.rint(v)) < 1e-9 ? String.valueOf((long) Math.rint(v))
        : String.format(Locale.ROOT, "%.1f", v);
  }
}
