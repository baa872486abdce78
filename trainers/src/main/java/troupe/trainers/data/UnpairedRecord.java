package troupe.trainers.data;

/**
 * An unpaired preference: one {@code completion} judged desirable ({@code label} true) or undesirable (false)
 * after {@code prompt} (TRL's KTO format).
 */
public record UnpairedRecord(String prompt, String completion, boolean label) implements DataRecord {
  public UnpairedRecord {
    Texts.require(prompt, "prompt");
    Texts.response(completion, "completion");
  }
}
