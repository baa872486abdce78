package troupe.trainers.data;

/**
 * Where an {@link EpochCursor} is: the epoch and the index within that epoch's permutation of the record it
 * returns next. With the same file, view and seed, a cursor moved to a position continues exactly where the
 * saved one stopped, so a checkpoint can store these two numbers.
 */
public record CursorPosition(int epoch, int index) {
  public CursorPosition {
    if (epoch < 0 || index < 0) {
      throw new IllegalArgumentException("cursor position must be non-negative, got epoch " + epoch + " index "
          + index);
    }
  }

  public static final CursorPosition START = new CursorPosition(0, 0);
}
