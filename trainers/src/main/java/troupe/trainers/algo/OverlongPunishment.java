package troupe.trainers.algo;

/**
 * DAPO's soft overlong punishment (algorithms.md section 5.2, eq. 13), added to the rule reward:
 * 0 up to {@code maxLength - buffer} tokens, then falling linearly to {@code -factor} at {@code maxLength}, and
 * {@code -factor} beyond (which cannot happen when generation stops at {@code maxLength}).
 */
public final class OverlongPunishment {
  private OverlongPunishment() {}

  /**
   * @param length    completion tokens generated
   * @param maxLength L_max, the generation budget
   * @param buffer    L_cache, the punished tail, in [1, maxLength); 0 switches the punishment off
   * @param factor    the punishment at L_max (verl penalty_factor, 1.0)
   */
  public static float penalty(int length, int maxLength, int buffer, float factor) {
    if (buffer == 0) {
      return 0f;
    }
    if (buffer < 0 || buffer >= maxLength) {
      throw new IllegalArgumentException("buffer must be in [0, maxLength " + maxLength + "), got " + buffer);
    }
    int free = maxLength - buffer;
    if (length <= free) {
      return 0f;
    }
    if (length > maxLength) {
      return -factor;
    }
    return factor * (free - length) / buffer;
  }
}
