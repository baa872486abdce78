package troupe.trainers.data;

/** A paired preference: {@code chosen} is preferred to {@code rejected} after {@code prompt} (TRL's DPO and kin). */
public record PreferenceRecord(String prompt, String chosen, String rejected) implements DataRecord {
  public PreferenceRecord {
    Texts.require(prompt, "prompt");
    Texts.response(chosen, "chosen");
    Texts.response(rejected, "rejected");
    // A pair with two equal sides gives no preference signal and zero loss gradient: it is a data mistake.
    if (chosen.equals(rejected)) {
      throw new IllegalArgumentException("fields \"chosen\" and \"rejected\" are identical");
    }
  }
}
