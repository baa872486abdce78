package troupe.actors;

/**
 * Text records of JSON-lines files (troupe.trainers.data) as the token sequences the policy trains on.
 */
final class RecordTokens {
  private RecordTokens() {}

  /** Prompt tokens, then the completion and EOS; a character outside the vocabulary names its field. */
  static troupe.v1.TokenSequence sequence(String prompt, String completion, String completionField) {
    troupe.v1.TokenSequence.Builder b = troupe.v1.TokenSequence.newBuilder();
    for (int t : encode(prompt, "prompt")) {
      b.addPrompt(t);
    }
    for (int t : encode(completion, completionField)) {
      b.addCompletion(t);
    }
    return b.addCompletion(StageContext.TOKENIZER.eos()).build();
  }

  private static int[] encode(String text, String field) {
    try {
      return StageContext.TOKENIZER.encode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field \"" + field + "\": " + e.getMessage());
    }
  }
}
