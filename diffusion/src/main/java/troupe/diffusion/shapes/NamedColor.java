package troupe.diffusion.shapes;

import java.util.Locale;

/** The palette: saturated colours far apart in hue, so pixels can be told apart by their direction in RGB. */
public enum NamedColor {
  RED(220, 40, 40),
  GREEN(40, 190, 60),
  BLUE(50, 80, 230),
  YELLOW(235, 215, 40);

  private final int r;
  private final int g;
  private final int b;

  NamedColor(int r, int g, int b) {
    this.r = r;
    this.g = g;
    this.b = b;
  }

  public int r() {
    return r;
  }

  public int g() {
    return g;
  }

  public int b() {
    return b;
  }

  /** The prompt word: the lowercase name. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
