package troupe.diffusion.shapes;

/** The shapes of the world, with the words the prompt grammar uses for one and for several. */
public enum ShapeKind {
  CIRCLE("circle", "circles"),
  SQUARE("square", "squares"),
  TRIANGLE("triangle", "triangles");

  private final String singular;
  private final String plural;

  ShapeKind(String singular, String plural) {
    this.singular = singular;
    this.plural = plural;
  }

  public String singular() {
    return singular;
  }

  public String plural() {
    return plural;
  }

  /** The word for count objects of this shape. */
  public String word(int count) {
    return count == 1 ? singular : plural;
  }
}
