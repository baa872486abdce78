package troupe.diffusion.shapes;

/**
 * Where the first object of a relation prompt lies relative to the second, in image coordinates (y grows down).
 * The renderer and the verifier both measure a relation through {@link #mainOffset} and {@link #crossOffset}.
 */
public enum Relation {
  LEFT_OF("left of"),
  RIGHT_OF("right of"),
  ABOVE("above"),
  BELOW("below");

  private final String text;

  Relation(String text) {
    this.text = text;
  }

  /** The words in a prompt, e.g. "left of". */
  public String text() {
    return text;
  }

  /** The same fact seen from the other object: "A left of B" is "B right of A". */
  public Relation opposite() {
    return switch (this) {
      case LEFT_OF -> RIGHT_OF;
      case RIGHT_OF -> LEFT_OF;
      case ABOVE -> BELOW;
      case BELOW -> ABOVE;
    };
  }

  public boolean horizontal() {
    return this == LEFT_OF || this == RIGHT_OF;
  }

  /** Offset between the centres along the relation's axis; positive when the first object is on the named side. */
  public double mainOffset(double firstX, double firstY, double secondX, double secondY) {
    return switch (this) {
      case LEFT_OF -> secondX - firstX;
      case RIGHT_OF -> firstX - secondX;
      case ABOVE -> secondY - firstY;
      case BELOW -> firstY - secondY;
    };
  }

  /** Absolute offset between the centres across the relation's axis. */
  public double crossOffset(double firstX, double firstY, double secondX, double secondY) {
    return horizontal() ? Math.abs(firstY - secondY) : Math.abs(firstX - secondX);
  }
}
