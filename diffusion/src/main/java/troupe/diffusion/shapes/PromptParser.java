package troupe.diffusion.shapes;

import java.util.ArrayList;
import java.util.List;

/** Reads a sentence of the shapes grammar word by word; each error names the bad word and what was allowed. */
final class PromptParser {
  private final String text;
  private final String[] words;
  private int next;

  private PromptParser(String text) {
    this.text = text;
    String trimmed = text.trim();
    this.words = trimmed.isEmpty() ? new String[0] : trimmed.split("\\s+");
  }

  static Prompt parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("prompt is null");
    }
    return new PromptParser(text).prompt();
  }

  private Prompt prompt() {
    int count = countWord();
    NamedColor color = color();
    ShapeKind shape = shape(count);
    if (next == words.length) {
      return new CountPrompt(count, color, shape);
    }
    if (count != 1) {
      throw error("a count prompt ends after its shape; relation prompts start with \"a\"", List.of("(end)"));
    }
    Relation relation = relation();
    expect("a");
    NamedColor secondColor = color();
    ShapeKind secondShape = shape(1);
    if (next != words.length) {
      throw error("the prompt should end here", List.of("(end)"));
    }
    if (color == secondColor) {
      throw new IllegalArgumentException("prompt \"" + text + "\": the two objects must have different colors, both are "
          + color.word());
    }
    return new RelationPrompt(color, shape, relation, secondColor, secondShape);
  }

  private int countWord() {
    for (int count = 1; count <= CountPrompt.MAX_COUNT; count++) {
      if (CountPrompt.countWord(count).equals(peek())) {
        next++;
        return count;
      }
    }
    throw error("expected a count word", List.of("a", "two", "three"));
  }

  private NamedColor color() {
    List<String> allowed = new ArrayList<>();
    for (NamedColor color : NamedColor.values()) {
      if (color.word().equals(peek())) {
        next++;
        return color;
      }
      allowed.add(color.word());
    }
    throw error("expected a color", allowed);
  }

  /** One object takes the singular ("circle"), two or three the plural ("circles"). */
  private ShapeKind shape(int count) {
    List<String> allowed = new ArrayList<>();
    for (ShapeKind shape : ShapeKind.values()) {
      if (shape.word(count).equals(peek())) {
        next++;
        return shape;
      }
      allowed.add(shape.word(count));
    }
    String form = count == 1 ? "expected a singular shape" : "expected a plural shape after a count of " + count;
    throw error(form, allowed);
  }

  private Relation relation() {
    List<String> allowed = new ArrayList<>();
    for (Relation relation : Relation.values()) {
      String[] parts = relation.text().split(" ");
      if (matchesAhead(parts)) {
        next += parts.length;
        return relation;
      }
      allowed.add(relation.text());
    }
    throw error("expected a relation", allowed);
  }

  private void expect(String word) {
    if (!word.equals(peek())) {
      throw error("expected \"" + word + "\"", List.of(word));
    }
    next++;
  }

  private boolean matchesAhead(String[] parts) {
    if (next + parts.length > words.length) {
      return false;
    }
    for (int i = 0; i < parts.length; i++) {
      if (!parts[i].equals(words[next + i])) {
        return false;
      }
    }
    return true;
  }

  private String peek() {
    return next < words.length ? words[next] : null;
  }

  private IllegalArgumentException error(String what, List<String> allowed) {
    String found = next < words.length ? "word " + (next + 1) + " \"" + words[next] + "\"" : "the end of the prompt";
    return new IllegalArgumentException("prompt \"" + text + "\": " + what + " but found " + found + "; allowed: "
        + String.join(", ", allowed));
  }
}
