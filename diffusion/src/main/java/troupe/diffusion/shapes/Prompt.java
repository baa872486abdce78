package troupe.diffusion.shapes;

/** A sentence of the shapes grammar: a count prompt ("two red circles") or a relation prompt. */
public sealed interface Prompt permits CountPrompt, RelationPrompt {
  /** The sentence, words separated by single spaces. */
  String text();

  /** One representative of the prompts that mean the same scene; equivalent prompts have equal canonical forms. */
  Prompt canonical();

  /** The prompt whose {@link #text()} this is; throws IllegalArgumentException naming the first bad word. */
  static Prompt parse(String text) {
    return PromptParser.parse(text);
  }
}
