package troupe.diffusion.image;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A square RGB image in the model's space: channel-major (channel, then row y, then column x), values in [-1, 1]
 * where -1 is intensity 0 and +1 is intensity 255. The array is shared, not copied, so {@link #set} writes through.
 */
public record RgbImage(int size, float[] chw) {
  public static final int CHANNELS = 3;

  public RgbImage {
    if (size < 1) {
      throw new IllegalArgumentException("image size must be at least 1, got " + size);
    }
    if (chw == null) {
      throw new IllegalArgumentException("image values are null");
    }
    if (chw.length != CHANNELS * size * size) {
      throw new IllegalArgumentException("an RGB image of size " + size + " needs 3*" + size + "*" + size + " = "
          + (CHANNELS * size * size) + " values, got " + chw.length);
    }
  }

  /** An all-black image. */
  public static RgbImage blank(int size) {
    float[] values = new float[CHANNELS * size * size];
    Arrays.fill(values, -1f);
    return new RgbImage(size, values);
  }

  /** Cuts a flat batch [n, 3, size, size] into n images (each gets its own copy of its values). */
  public static List<RgbImage> split(float[] nchw, int n, int size) {
    int per = CHANNELS * size * size;
    if (n < 0 || nchw.length != n * per) {
      throw new IllegalArgumentException(n + " images of size " + size + " need " + n + "*" + per + " = " + (n * per)
          + " values, got " + nchw.length);
    }
    List<RgbImage> images = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      images.add(new RgbImage(size, Arrays.copyOfRange(nchw, i * per, (i + 1) * per)));
    }
    return images;
  }

  /** Model value to 0..255: rounded, clamped (NaN becomes 0). */
  public static int toByte(float value) {
    if (Float.isNaN(value)) {
      return 0;
    }
    long rounded = Math.round((value + 1.0) * 127.5);
    return (int) Math.max(0, Math.min(255, rounded));
  }

  /** 0..255 to the model value. */
  public static float fromByte(int intensity) {
    return intensity / 127.5f - 1f;
  }

  /** Intensities {r, g, b} in 0..255 of pixel (x, y). */
  public int[] rgb(int x, int y) {
    return new int[] {toByte(chw[index(0, x, y)]), toByte(chw[index(1, x, y)]), toByte(chw[index(2, x, y)])};
  }

  /** Sets pixel (x, y) to intensities in 0..255. */
  public void set(int x, int y, int r, int g, int b) {
    if ((r | g | b) < 0 || r > 255 || g > 255 || b > 255) {
      throw new IllegalArgumentException("intensities must be in 0..255, got (" + r + ", " + g + ", " + b + ")");
    }
    chw[index(0, x, y)] = fromByte(r);
    chw[index(1, x, y)] = fromByte(g);
    chw[index(2, x, y)] = fromByte(b);
  }

  /** Position of channel c of pixel (x, y) in {@link #chw}. */
  public int index(int c, int x, int y) {
    if (x < 0 || y < 0 || x >= size || y >= size) {
      throw new IndexOutOfBoundsException("pixel (" + x + ", " + y + ") is outside a " + size + "x" + size + " image");
    }
    return (c * size + y) * size + x;
  }

  /** An independent copy, so callers can perturb it without touching this image. */
  public RgbImage copy() {
    return new RgbImage(size, chw.clone());
  }

  public BufferedImage toBufferedImage() {
    BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int[] p = rgb(x, y);
        out.setRGB(x, y, (p[0] << 16) | (p[1] << 8) | p[2]);
      }
    }
    return out;
  }
}
