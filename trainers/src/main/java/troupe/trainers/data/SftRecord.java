package troupe.trainers.data;

/** Supervised fine-tuning: the model learns to produce {@code completion} after {@code prompt} (TRL's SFT). */
public record SftRecord(String prompt, String completion) implements DataRecord {
  public SftRecord {
    Texts.require(prompt, "prompt");
    Texts.require(completion, "completion");
  }
}
