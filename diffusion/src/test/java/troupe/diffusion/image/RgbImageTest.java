package troupe.diffusion.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class RgbImageTest {

  @Test
  void rejectsAWrongNumberOfValuesWithTheExpectedCount() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RgbImage(4, new float[47]));
    assertTrue(e.getMessage().contains("48") && e.getMessage().contains("47"), e.getMessage());
  }

  @Test
  void valuesMapToIntensitiesChannelMajor() {
    RgbImage image = RgbImage.blank(4);
    assertArrayEquals(new int[] {0, 0, 0}, image.rgb(3, 2));
    image.set(3, 2, 255, 128, 7);
    assertArrayEquals(new int[] {255, 128, 7}, image.rgb(3, 2));
    assertEquals(1f, image.chw()[2 * 4 + 3]);
    assertEquals(RgbImage.fromByte(128), image.chw()[16 + 2 * 4 + 3]);
    assertEquals(0, RgbImage.toByte(-3f));
    assertEquals(255, RgbImage.toByte(3f));
    assertEquals(128, RgbImage.toByte(0f));
    assertEquals(0, RgbImage.toByte(Float.NaN));
  }

  @Test
  void splitCutsABatchIntoImages() {
    float[] batch = new float[2 * 3 * 4];
    batch[12] = 1f;
    List<RgbImage> images = RgbImage.split(batch, 2, 2);
    assertEquals(2, images.size());
    assertEquals(1f, images.get(1).chw()[0]);
    assertThrows(IllegalArgumentException.class, () -> RgbImage.split(batch, 3, 2));
  }

  @Test
  void convertsToABufferedImage() {
    RgbImage image = RgbImage.blank(3);
    image.set(1, 2, 10, 20, 30);
    BufferedImage out = image.toBufferedImage();
    assertEquals(3, out.getWidth());
    assertEquals((10 << 16) | (20 << 8) | 30, out.getRGB(1, 2) & 0xffffff);
    assertEquals(0, out.getRGB(0, 0) & 0xffffff);
  }
}
