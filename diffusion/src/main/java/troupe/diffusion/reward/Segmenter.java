package troupe.diffusion.reward;

import java.util.ArrayList;
import java.util.List;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.NamedColor;

/**
 * Splits an image into palette-coloured components. A pixel belongs to a palette colour when it points in nearly the
 * same RGB direction as that colour and is strong enough along it. Comparing directions rather than distances keeps
 * the name of a colour faded toward black (a blurred edge); the strength floor, relative to each colour, puts the
 * edge of every colour at the same fade level.
 */
public final class Segmenter {
  /** Cosine between pixel and palette colour: 0.9 is about 26 degrees; palette colours are at most 0.85 alike. */
  static final double MIN_COSINE = 0.9;
  /** Projection of the pixel on the colour as a share of the colour: a half-faded edge pixel (0.5) still counts. */
  static final double MIN_STRENGTH = 0.45;

  private static final NamedColor[] PALETTE = NamedColor.values();

  private Segmenter() {}

  /** Components smaller than this are specks and ignored: 4 px at 32x32, scaled with the image area. */
  public static int minArea(int size) {
    return Math.max(2, (int) Math.round(4.0 * size * size / (32 * 32)));
  }

  /** Palette index of an intensity triple, or -1 for background and for colours near no palette colour. */
  static int label(int r, int g, int b) {
    double norm = Math.sqrt((double) r * r + (double) g * g + (double) b * b);
    if (norm == 0) {
      return -1;
    }
    int best = -1;
    double bestCosine = MIN_COSINE;
    for (int i = 0; i < PALETTE.length; i++) {
      NamedColor c = PALETTE[i];
      double cosine = (r * c.r() + g * c.g() + b * c.b()) / (norm * norm(c));
      if (cosine >= bestCosine) {
        bestCosine = cosine;
        best = i;
      }
    }
    if (best < 0 || norm * bestCosine / norm(PALETTE[best]) < MIN_STRENGTH) {
      return -1;
    }
    return best;
  }

  private static double norm(NamedColor c) {
    return Math.sqrt((double) c.r() * c.r() + (double) c.g() * c.g() + (double) c.b() * c.b());
  }

  /** The 4-connected components of each palette colour with at least minArea pixels, in scan order. */
  public static List<Blob> segment(RgbImage image) {
    int size = image.size();
    int[] labels = new int[size * size];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int[] p = image.rgb(x, y);
        labels[y * size + x] = label(p[0], p[1], p[2]);
      }
    }
    boolean[] seen = new boolean[size * size];
    int[] stack = new int[size * size];
    int[] members = new int[size * size];
    List<Blob> blobs = new ArrayList<>();
    int minArea = minArea(size);
    for (int start = 0; start < labels.length; start++) {
      if (labels[start] < 0 || seen[start]) {
        continue;
      }
      // Flood fill with an explicit stack: no recursion depth limit on large components.
      int label = labels[start];
      int count = 0;
      int top = 0;
      stack[top++] = start;
      seen[start] = true;
      while (top > 0) {
        int at = stack[--top];
        members[count++] = at;
        int x = at % size;
        int y = at / size;
        top = push(labels, seen, stack, top, size, x - 1, y, label);
        top = push(labels, seen, stack, top, size, x + 1, y, label);
        top = push(labels, seen, stack, top, size, x, y - 1, label);
        top = push(labels, seen, stack, top, size, x, y + 1, label);
      }
      if (count >= minArea) {
        blobs.add(describe(PALETTE[label], members, count, size));
      }
    }
    return blobs;
  }

  private static int push(int[] labels, boolean[] seen, int[] stack, int top, int size, int x, int y, int label) {
    if (x < 0 || y < 0 || x >= size || y >= size) {
      return top;
    }
    int at = y * size + x;
    if (seen[at] || labels[at] != label) {
      return top;
    }
    seen[at] = true;
    stack[top] = at;
    return top + 1;
  }

  private static Blob describe(NamedColor color, int[] members, int count, int size) {
    int minX = size;
    int minY = size;
    int maxX = -1;
    int maxY = -1;
    double sumX = 0;
    double sumY = 0;
    for (int i = 0; i < count; i++) {
      int x = members[i] % size;
      int y = members[i] / size;
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
      sumX += x;
      sumY += y;
    }
    int width = maxX - minX + 1;
    int height = maxY - minY + 1;
    boolean[] mask = new boolean[width * height];
    for (int i = 0; i < count; i++) {
      mask[(members[i] / size - minY) * width + (members[i] % size - minX)] = true;
    }
    return new Blob(color, count, minX, minY, maxX, maxY, sumX / count, sumY / count,
        ShapeClassifier.classify(mask, width, height));
  }
}
