package troupe.diffusion.image;

import java.awt.image.BufferedImage;
import java.util.HashMap;
import java.util.Map;

/**
 * A 5x7 pixel font drawn pixel by pixel, because headless servers may have no fonts for AWT text. Covers a-z
 * (upper case is drawn as lower case), 0-9, space and - . : / % = , _ + ( ); anything else is a small box.
 */
public final class BitmapFont {
  public static final int GLYPH_WIDTH = 5;
  public static final int GLYPH_HEIGHT = 7;
  /** Glyph width plus one blank column between characters. */
  public static final int ADVANCE = GLYPH_WIDTH + 1;

  private static final Map<Character, String[]> GLYPHS = new HashMap<>();
  private static final String[] BOX = rows("..... ##### #...# #...# #...# ##### .....");

  static {
    glyph('a', "..... ..... .###. ....# .#### #...# .####");
    glyph('b', "#.... #.... #.##. ##..# #...# #...# ####.");
    glyph('c', "..... ..... .###. #.... #.... #...# .###.");
    glyph('d', "....# ....# .##.# #..## #...# #...# .####");
    glyph('e', "..... ..... .###. #...# ##### #.... .###.");
    glyph('f', "..##. .#..# .#... ###.. .#... .#... .#...");
    glyph('g', "..... .#### #...# #...# .#### ....# .###.");
    glyph('h', "#.... #.... #.##. ##..# #...# #...# #...#");
    glyph('i', "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.");
    glyph('j', "...#. ..... ..##. ...#. ...#. #..#. .##..");
    glyph('k', "#.... #.... #..#. #.#.. ##... #.#.. #..#.");
    glyph('l', ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.");
    glyph('m', "..... ..... ##.#. #.#.# #.#.# #...# #...#");
    glyph('n', "..... ..... #.##. ##..# #...# #...# #...#");
    glyph('o', "..... ..... .###. #...# #...# #...# .###.");
    glyph('p', "..... ..... ####. #...# ####. #.... #....");
    glyph('q', "..... ..... .##.# #..## .#### ....# ....#");
    glyph('r', "..... ..... #.##. ##..# #.... #.... #....");
    glyph('s', "..... ..... .###. #.... .###. ....# ####.");
    glyph('t', ".#... .#... ###.. .#... .#... .#..# ..##.");
    glyph('u', "..... ..... #...# #...# #...# #..## .##.#");
    glyph('v', "..... ..... #...# #...# #...# .#.#. ..#..");
    glyph('w', "..... ..... #...# #...# #.#.# #.#.# .#.#.");
    glyph('x', "..... ..... #...# .#.#. ..#.. .#.#. #...#");
    glyph('y', "..... ..... #...# #...# .#### ....# .###.");
    glyph('z', "..... ..... ##### ...#. ..#.. .#... #####");
    glyph('0', ".###. #...# #..## #.#.# ##..# #...# .###.");
    glyph('1', "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.");
    glyph('2', ".###. #...# ....# ...#. ..#.. .#... #####");
    glyph('3', "##### ...#. ..#.. ...#. ....# #...# .###.");
    glyph('4', "...#. ..##. .#.#. #..#. ##### ...#. ...#.");
    glyph('5', "##### #.... ####. ....# ....# #...# .###.");
    glyph('6', "..##. .#... #.... ####. #...# #...# .###.");
    glyph('7', "##### ....# ...#. ..#.. .#... .#... .#...");
    glyph('8', ".###. #...# #...# .###. #...# #...# .###.");
    glyph('9', ".###. #...# #...# .#### ....# ...#. .##..");
    glyph(' ', "..... ..... ..... ..... ..... ..... .....");
    glyph('-', "..... ..... ..... ##### ..... ..... .....");
    glyph('.', "..... ..... ..... ..... ..... .##.. .##..");
    glyph(':', "..... .##.. .##.. ..... .##.. .##.. .....");
    glyph('/', "..... ....# ...#. ..#.. .#... #.... .....");
    glyph('%', "##... ##..# ...#. ..#.. .#... #..## ...##");
    glyph('=', "..... ..... ##### ..... ##### ..... .....");
    glyph(',', "..... ..... ..... ..... .##.. ..#.. .#...");
    glyph('_', "..... ..... ..... ..... ..... ..... #####");
    glyph('+', "..... ..#.. ..#.. ##### ..#.. ..#.. .....");
    glyph('(', "...#. ..#.. .#... .#... .#... ..#.. ...#.");
    glyph(')', ".#... ..#.. ...#. ...#. ...#. ..#.. .#...");
  }

  private BitmapFont() {}

  /** Whether c has its own glyph (otherwise it is drawn as a box). */
  public static boolean supports(char c) {
    return GLYPHS.containsKey(Character.toLowerCase(c));
  }

  /** Width in pixels of text drawn at this scale (no trailing blank column). */
  public static int width(String text, int scale) {
    return text.isEmpty() ? 0 : (text.length() * ADVANCE - 1) * scale;
  }

  public static int height(int scale) {
    return GLYPH_HEIGHT * scale;
  }

  /** The text itself if it fits maxWidth pixels, else its longest prefix followed by ".." that fits. */
  public static String fit(String text, int maxWidth, int scale) {
    if (width(text, scale) <= maxWidth) {
      return text;
    }
    for (int keep = text.length() - 1; keep >= 0; keep--) {
      String cut = text.substring(0, keep) + "..";
      if (width(cut, scale) <= maxWidth) {
        return cut;
      }
    }
    return "";
  }

  /** Draws text with its top-left corner at (x, y); pixels outside the image are skipped. */
  public static void draw(BufferedImage image, String text, int x, int y, int rgb, int scale) {
    for (int i = 0; i < text.length(); i++) {
      String[] rows = GLYPHS.getOrDefault(Character.toLowerCase(text.charAt(i)), BOX);
      int left = x + i * ADVANCE * scale;
      for (int row = 0; row < GLYPH_HEIGHT; row++) {
        for (int col = 0; col < GLYPH_WIDTH; col++) {
          if (rows[row].charAt(col) == '#') {
            fill(image, left + col * scale, y + row * scale, scale, rgb);
          }
        }
      }
    }
  }

  private static void fill(BufferedImage image, int x, int y, int scale, int rgb) {
    for (int dy = 0; dy < scale; dy++) {
      for (int dx = 0; dx < scale; dx++) {
        int px = x + dx;
        int py = y + dy;
        if (px >= 0 && py >= 0 && px < image.getWidth() && py < image.getHeight()) {
          image.setRGB(px, py, rgb);
        }
      }
    }
  }

  private static void glyph(char c, String pattern) {
    GLYPHS.put(c, rows(pattern));
  }

  /** Seven rows of five '#' (ink) or '.' (blank), separated by spaces. */
  private static String[] rows(String pattern) {
    String[] rows = pattern.split(" ");
    if (rows.length != GLYPH_HEIGHT) {
      throw new IllegalStateException("glyph needs " + GLYPH_HEIGHT + " rows: " + pattern);
    }
    for (String row : rows) {
      if (row.length() != GLYPH_WIDTH) {
        throw new IllegalStateException("glyph rows need " + GLYPH_WIDTH + " columns: " + pattern);
      }
    }
    return rows;
  }
}
