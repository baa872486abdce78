package troupe.diffusion.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class BitmapFontTest {

  @Test
  void coversLettersDigitsAndPunctuation() {
    for (char c : "abcdefghijklmnopqrstuvwxyz0123456789 -.:/%".toCharArray()) {
      assertTrue(BitmapFont.supports(c), "glyph for '" + c + "'");
    }
    assertTrue(BitmapFont.supports('A'));
    assertTrue(!BitmapFont.supports('#'));
  }

  @Test
  void distinctCharactersDrawDistinctPixelsAndUnknownOnesABox() {
    assertNotEquals(pixels("a"), pixels("o"));
    assertNotEquals(pixels("1"), pixels("7"));
    assertEquals(pixels("#"), pixels("~"));
    assertEquals(pixels("a"), pixels("A"));
    assertEquals(0, pixels(" ").chars().filter(ch -> ch == '#').count());
  }

  @Test
  void fitCutsLongTextWithTwoDots() {
    assertEquals("abc", BitmapFont.fit("abc", 17, 1));
    assertEquals(17, BitmapFont.width("abc", 1));
    String cut = BitmapFont.fit("a long label that does not fit", 60, 1);
    assertTrue(cut.endsWith("..") && BitmapFont.width(cut, 1) <= 60, cut);
    assertEquals("a long l..", cut);
    assertEquals(14, BitmapFont.height(2));
  }

  /** The text drawn at scale 1 as rows of '#' and '.'. */
  private static String pixels(String text) {
    BufferedImage image = new BufferedImage(BitmapFont.width(text, 1) + 1, BitmapFont.height(1),
        BufferedImage.TYPE_INT_RGB);
    BitmapFont.draw(image, text, 0, 0, 0xffffff, 1);
    StringBuilder out = new StringBuilder();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        out.append((image.getRGB(x, y) & 0xffffff) != 0 ? '#' : '.');
      }
      out.append('\n');
    }
    return out.toString();
  }
}
