package troupe.trainers.data;

/**
 * How many records to hold out for evaluation: none, a fraction or a count. Which records are held out is chosen
 * by {@link HoldOut} from the seed.
 */
public final class Split {

  private static final Split NONE = new Split(0, 0, false);

  private final double fraction;
  private final int count;
  private final boolean byCount;

  private Split(double fraction, int count, boolean byCount) {
    this.fraction = fraction;
    this.count = count;
    this.byCount = byCount;
  }

  /** Everything is training data. */
  public static Split none() {
    return NONE;
  }

  /** Holds out {@code round(fraction * size)} records, at least one when the fraction is positive. */
  public static Split fraction(double fraction) {
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("eval fraction must be in [0, 1), got " + fraction);
    }
    return new Split(fraction, 0, false);
  }

  /** Holds out exactly {@code count} records. */
  public static Split count(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("eval count must be >= 0, got " + count);
    }
    return new Split(0, count, true);
  }

  /**
   * The number held out of {@code size} records.
   *
   * @throws IllegalArgumentException if that would leave no training records
   */
  public int heldOut(int size, String file) {
    long held = byCount ? count : Math.round(fraction * size);
    if (!byCount && fraction > 0) {
      held = Math.max(1, held);
    }
    if (held > 0 && held >= size) {
      throw new IllegalArgumentException(file + ": holding out " + held + " of " + size + " records for"
          + " evaluation (" + this + ") leaves none to train on");
    }
    return (int) held;
  }

  @Override
  public String toString() {
    return byCount ? "count " + count : fraction == 0 ? "none" : "fraction " + fraction;
  }
}
