package troupe.diffusion.shapes;

/** "a red circle", "two red circles", "three red circles". */
public record CountPrompt(int count, NamedColor color, ShapeKind shape) implements Prompt {
  public static final int MAX_COUNT = 3;

  public CountPrompt {
    if (count < 1 || count > MAX_COUNT) {
      throw new IllegalArgumentException("count must be 1.." + MAX_COUNT + ", got " + count);
    }
    if (color == null || shape == null) {
      throw new IllegalArgumentException("count prompt needs a color and a shape");
    }
  }

  /** The word that opens a prompt with this many objects. */
  public static String countWord(int count) {
    return switch (count) {
      case 1 -> "a";
      case 2 -> "two";
      case 3 -> "three";
      default -> throw new IllegalArgumentException("count must be 1.." + MAX_COUNT + ", got " + count);
    };
  }

  @Override
  public String text() {
    return countWord(count) + " " + color.word() + " " + shape.word(count);
  }

  @Override
  public Prompt canonical() {
    return this;
  }

  @Override
  public String toString() {
    return text();
  }
}
