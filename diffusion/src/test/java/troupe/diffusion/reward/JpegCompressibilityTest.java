package troupe.diffusion.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import troupe.diffusion.image.RgbImage;

class JpegCompressibilityTest {

  @Test
  void aFlatImageScoresHigherThanNoise() {
    RgbImage flat = RgbImage.blank(32);
    RgbImage noise = RgbImage.blank(32);
    Random random = new Random(1);
    for (int i = 0; i < noise.chw().length; i++) {
      noise.chw()[i] = random.nextFloat() * 2 - 1;
    }
    double flatReward = JpegCompressibility.reward(flat);
    double noiseReward = JpegCompressibility.reward(noise);
    assertTrue(flatReward < 0 && noiseReward < flatReward, flatReward + " vs " + noiseReward);
    assertEquals(-JpegCompressibility.jpegBytes(noise) / 1000.0, noiseReward);
    assertEquals(flatReward, JpegCompressibility.reward(flat), "deterministic");
  }
}
