package troupe.diffusion.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import troupe.diffusion.shapes.NamedColor;

class SegmenterTest {

  @Test
  void paletteColoursAndTheirFadedVersionsKeepTheirNames() {
    for (NamedColor c : NamedColor.values()) {
      assertEquals(c.ordinal(), Segmenter.label(c.r(), c.g(), c.b()));
      assertEquals(c.ordinal(), Segmenter.label(c.r() / 2, c.g() / 2, c.b() / 2), c + " at half strength");
      assertEquals(-1, Segmenter.label(c.r() / 3, c.g() / 3, c.b() / 3), c + " at a third");
    }
  }

  @Test
  void blackGreyAndOffPaletteColoursAreBackground() {
    assertEquals(-1, Segmenter.label(0, 0, 0));
    assertEquals(-1, Segmenter.label(30, 30, 30));
    assertEquals(-1, Segmenter.label(200, 200, 200));
    assertEquals(-1, Segmenter.label(200, 40, 200));
  }

  @Test
  void minimumAreaScalesWithTheImageArea() {
    assertEquals(4, Segmenter.minArea(32));
    assertEquals(9, Segmenter.minArea(48));
    assertEquals(2, Segmenter.minArea(16));
  }
}
