package troupe.trainers.algo;

/**
 * Checks for per-token values held as Java rows {@code float[B][T]} next to a response mask of the same shape
 * (algorithms.md section 0.1). Used by the advantage code, which runs once per rollout without gradient and walks
 * rows right to left, so plain arrays are simpler and exact there.
 *
 * <p>A mask holds exactly 0 or 1. Values at mask-0 positions are never read, so padding may hold anything.
 */
final class TokenGrid {

    private TokenGrid() {
    }

    /** Checks that {@code mask} is a non-null rectangular grid of 0 and 1; returns its column count T. */
    static int checkMask(float[][] mask) {
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null");
        }
        int columns = mask.length == 0 ? 0 : lengthOf("mask", mask, 0);
        for (int i = 0; i < mask.length; i++) {
            if (lengthOf("mask", mask, i) != columns) {
                throw new IllegalArgumentException("mask row " + i + " has " + mask[i].length
                        + " columns, row 0 has " + columns + " (rows must be padded to one length)");
            }
            for (int t = 0; t < columns; t++) {
                if (mask[i][t] != 0f && mask[i][t] != 1f) {
                    throw new IllegalArgumentException("mask[" + i + "][" + t + "] must be 0 or 1, got " + mask[i][t]);
                }
            }
        }
        return columns;
    }

    /**
     * Checks that {@code values} has the shape of {@code mask} and is finite wherever the mask is 1 (positions with
     * mask 0 are not read, so they may hold junk).
     */
    static void checkLike(String name, float[][] values, float[][] mask) {
        if (values == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (values.length != mask.length) {
            throw new IllegalArgumentException(name + " has " + values.length + " rows, the mask has " + mask.length);
        }
        for (int i = 0; i < mask.length; i++) {
            if (lengthOf(name, values, i) != mask[i].length) {
                throw new IllegalArgumentException(name + " row " + i + " has " + values[i].length
                        + " columns, the mask has " + mask[i].length);
            }
            for (int t = 0; t < mask[i].length; t++) {
                if (mask[i][t] != 0f && !Float.isFinite(values[i][t])) {
                    throw new IllegalArgumentException(name + "[" + i + "][" + t + "] = " + values[i][t]
                            + " at a valid (mask 1) position; it must be finite");
                }
            }
        }
    }

    /** Checks a per-sequence array: one finite value per row. */
    static void checkPerSequence(String name, float[] values, int rows) {
        if (values == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (values.length != rows) {
            throw new IllegalArgumentException(name + " has " + values.length + " entries for " + rows + " rows");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + values[i] + "; it must be finite");
            }
        }
    }

    /** Index of the last mask-1 position of row {@code i}, or -1 when the row has none. */
    static int lastValid(float[][] mask, int i) {
        for (int t = mask[i].length - 1; t >= 0; t--) {
            if (mask[i][t] != 0f) {
                return t;
            }
        }
        return -1;
    }

    /** {@code a[i] * mask[i][t]} for every position: a sequence value broadcast to its valid tokens. */
    static float[][] broadcast(float[] perSequence, float[][] mask) {
        float[][] out = new float[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            out[i] = new float[mask[i].length];
            for (int t = 0; t < mask[i].length; t++) {
                out[i][t] = mask[i][t] != 0f ? perSequence[i] : 0f;
            }
        }
        return out;
    }

    private static int lengthOf(String name, float[][] rows, int i) {
        if (rows[i] == null) {
            throw new IllegalArgumentException(name + " row " + i + " is null");
        }
        return rows[i].length;
    }
}
