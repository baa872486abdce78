package troupe.trainers.data;

/**
 * SplitMix64: a seed mixer and a small generator whose output is fixed by this code alone, so shuffles and splits
 * stay the same across JDK versions and platforms (a checkpointed cursor position must mean the same record).
 */
final class SplitMix64 {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private long state;

  SplitMix64(long seed) {
    this.state = seed;
  }

  /** A bijective 64-bit finaliser: distinct inputs give distinct, well-spread outputs. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * A value for {@code (seed, purpose, value)}. For a fixed seed and purpose it is a bijection of {@code value},
   * so distinct record indices never collide.
   */
  static long derive(long seed, long purpose, long value) {
    return mix(mix(seed ^ mix(purpose)) + value * GOLDEN);
  }

  long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in [0, bound), without modulo bias (Lemire's method). */
  int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    long product = (nextLong() >>> 32) * bound;
    long low = product & 0xFFFFFFFFL;
    if (low < bound) {
      long threshold = ((1L << 32) - bound) % bound;
      while (low < threshold) {
        product = (nextLong() >>> 32) * bound;
        low = product & 0xFFFFFFFFL;
      }
    }
    return (int) (product >>> 32);
  }
}
