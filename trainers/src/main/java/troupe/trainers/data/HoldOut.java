package troupe.trainers.data;

import java.util.Arrays;

/**
 * Which record indices are held out: the {@code count} indices with the smallest {@code hash(seed, index)}.
 * Membership of an index depends only on the seed, the record count and the held-out count, not on the content
 * or order of other records, and the held-out set has exactly the requested size.
 *
 * <p>The threshold (the count-th smallest hash) is found in two passes over the indices without storing a hash
 * per record: a histogram of the top 16 bits finds the bucket holding the threshold, then only that bucket's
 * hashes (about size / 65536 of them) are sorted.
 */
final class HoldOut {

  private static final long PURPOSE = 0x686F6C646F7574L; // "holdout"
  private static final int BUCKET_BITS = 16;

  private final long seed;
  private final int count;
  private final long threshold; // unsigned; held out iff hash <= threshold

  private HoldOut(long seed, int count, long threshold) {
    this.seed = seed;
    this.count = count;
    this.threshold = threshold;
  }

  static HoldOut choose(int size, int count, long seed) {
    if (count < 0 || count > size) {
      throw new IllegalArgumentException("cannot hold out " + count + " of " + size + " records");
    }
    if (count == 0) {
      return new HoldOut(seed, 0, 0);
    }
    int[] histogram = new int[1 << BUCKET_BITS];
    for (int i = 0; i < size; i++) {
      histogram[bucket(hash(seed, i))]++;
    }
    int bucket = 0;
    int before = 0;
    while (before + histogram[bucket] < count) {
      before += histogram[bucket];
      bucket++;
    }
    long[] inBucket = new long[histogram[bucket]];
    int filled = 0;
    for (int i = 0; i < size; i++) {
      long hash = hash(seed, i);
      if (bucket(hash) == bucket) {
        inBucket[filled++] = hash ^ Long.MIN_VALUE; // flip the sign bit: signed order = unsigned order
      }
    }
    Arrays.sort(inBucket);
    long threshold = inBucket[count - before - 1] ^ Long.MIN_VALUE;
    return new HoldOut(seed, count, threshold);
  }

  boolean contains(int index) {
    return count > 0 && Long.compareUnsigned(hash(seed, index), threshold) <= 0;
  }

  int count() {
    return count;
  }

  private static long hash(long seed, int index) {
    return SplitMix64.derive(seed, PURPOSE, index);
  }

  private static int bucket(long hash) {
    return (int) (hash >>> (64 - BUCKET_BITS));
  }
}
