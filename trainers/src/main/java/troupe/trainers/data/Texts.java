package troupe.trainers.data;

/** The check records apply to their text fields, with messages that name the field as a data file does. */
final class Texts {

  private Texts() {}

  /** Rejects null and empty text: an empty prompt or target trains nothing and is almost always a data bug. */
  static String require(String value, String field) {
    if (value == null) {
      throw new IllegalArgumentException("field \"" + field + "\" is null");
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException("field \"" + field + "\" is an empty string");
    }
    return value;
  }

  /**
   * Rejects only null: a sampled response may be empty (the policy ended at once), and a preference pair or a KTO
   * example that says so is real signal.
   */
  static String response(String value, String field) {
    if (value == null) {
      throw new IllegalArgumentException("field \"" + field + "\" is null");
    }
    return value;
  }
}
