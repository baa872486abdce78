package troupe.diffusion.reward;

import java.util.Random;
import troupe.diffusion.image.RgbImage;

/** Small corruptions of rendered images, standing in for the imperfections of generated ones. */
final class Perturb {
  private Perturb() {}

  /** Adds Gaussian noise of this standard deviation in [-1, 1] units. */
  static RgbImage noise(RgbImage image, double std, Random random) {
    float[] out = image.chw().clone();
    for (int i = 0; i < out.length; i++) {
      out[i] += (float) (std * random.nextGaussian());
    }
    return new RgbImage(image.size(), out);
  }

  /** Moves the content by (dx, dy) pixels, filling the uncovered border with black. */
  static RgbImage shift(RgbImage image, int dx, int dy) {
    int n = image.size();
    RgbImage out = RgbImage.blank(n);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          int sx = x - dx;
          int sy = y - dy;
          if (sx >= 0 && sy >= 0 && sx < n && sy < n) {
            out.chw()[out.index(c, x, y)] = image.chw()[image.index(c, sx, sy)];
          }
        }
      }
    }
    return out;
  }

  /** A 3x3 binomial blur ([1 2 1] each way) of the intensities; pixels past the border count as black. */
  static RgbImage blur(RgbImage image) {
    int n = image.size();
    int[] weights = {1, 2, 1};
    RgbImage out = RgbImage.blank(n);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          double sum = 0;
          for (int j = -1; j <= 1; j++) {
            for (int i = -1; i <= 1; i++) {
              int sx = x + i;
              int sy = y + j;
              if (sx >= 0 && sy >= 0 && sx < n && sy < n) {
                double intensity = (image.chw()[image.index(c, sx, sy)] + 1) / 2;
                sum += weights[i + 1] * weights[j + 1] * intensity;
              }
            }
          }
          out.chw()[out.index(c, x, y)] = (float) (sum / 16 * 2 - 1);
        }
      }
    }
    return out;
  }

  /** Top-left corner of a black k x k square with a black 2-px ring around it; the image must have one. */
  static int[] emptySpot(RgbImage image, int k) {
    int n = image.size();
    for (int y = 2; y + k + 2 <= n; y++) {
      for (int x = 2; x + k + 2 <= n; x++) {
        if (black(image, x - 2, y - 2, k + 4)) {
          return new int[] {x, y};
        }
      }
    }
    throw new IllegalStateException("no empty spot");
  }

  private static boolean black(RgbImage image, int left, int top, int side) {
    for (int y = top; y < top + side; y++) {
      for (int x = left; x < left + side; x++) {
        int[] p = image.rgb(x, y);
        if (p[0] + p[1] + p[2] > 0) {
          return false;
        }
      }
    }
    return true;
  }
}
