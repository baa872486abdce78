package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ComparisonTableTest {
  private static final ComparisonTable TABLE = new ComparisonTable(List.of(
      new ComparisonTable.Row("grpo", "wf-1", "completed", 40, 1.5, 3000,
          List.of(new double[] {0, 0.5}, new double[] {30, 0.7}, new double[] {60, 0.65})),
      new ComparisonTable.Row("ppo", "wf-2", "failed: boom", 10, 2.0, 2500,
          List.of(new double[] {0, 0.5}, new double[] {20, 0.55}))), 60, 1);

  @Test
  void markdownHasOneRowPerPresetWithStartFinalBestAndDelta() {
    String md = TABLE.markdown();
    assertTrue(md.startsWith("Held-out accuracy from one SFT start (0.500), seed 1, 60 s of RL per preset"), md);
    assertTrue(md.contains("| grpo | 40 | 0.500 | 0.650 | 0.700 | +0.150 | 1.50 | 3000 | completed |"), md);
    assertTrue(md.contains("| ppo | 10 | 0.500 | 0.550 | 0.550 | +0.050 | 2.00 | 2500 | failed: boom |"), md);
  }

  @Test
  void aDifferentStartIsFlagged() {
    var t = new ComparisonTable(List.of(
        new ComparisonTable.Row("a", "w", "completed", 1, 1, 1, List.of(new double[] {0, 0.5})),
        new ComparisonTable.Row("b", "w", "completed", 1, 1, 1, List.of(new double[] {0, 0.4}))), 10, 1);
    assertTrue(t.start().contains("NOT the same"), t.start());
  }

  @Test
  void jsonCarriesTheCurves() {
    String json = TABLE.json();
    assertTrue(json.contains("\"preset\":\"grpo\"") && json.contains("[30.0,0.7000]"), json);
    assertTrue(json.startsWith("{\"seed\":1,\"budget_seconds\":60.0,"), json);
  }

  @Test
  void plotDecodesAsAPngWithEachSeriesColour() throws Exception {
    BufferedImage image = TABLE.plot();
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(image, "png", png);
    BufferedImage back = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
    assertEquals(LinePlot.WIDTH, back.getWidth());
    assertEquals(LinePlot.HEIGHT, back.getHeight());
    for (int s = 0; s < 2; s++) {
      assertTrue(count(back, LinePlot.COLORS[s]) > 50, "series " + s + " is not drawn");
    }
    assertEquals(0, count(back, LinePlot.COLORS[2]));
  }

  @Test
  void badSeriesAreRejectedClearly() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new LinePlot.Series("x", new double[] {0, 1}, new double[] {0.5, Double.NaN}));
    assertEquals("series x point 1 is not finite: (1.0, NaN)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LinePlot.Series("x", new double[0], new double[0]));
    assertThrows(IllegalArgumentException.class, () -> LinePlot.render("t", "x", "y", List.of(), 0, 1));
  }

  private static int count(BufferedImage image, int rgb) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        n += (image.getRGB(x, y) & 0xffffff) == rgb ? 1 : 0;
      }
    }
    return n;
  }
}
