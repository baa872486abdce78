package troupe.trainers.spec;

/** A workflow spec that cannot run: the message names the field path and what is allowed. */
public final class SpecException extends IllegalArgumentException {
  public SpecException(String message) {
    super(message);
  }

  public static SpecException at(String path, String problem) {
    return new SpecException(path.isEmpty() ? problem : path + ": " + problem);
  }
}
