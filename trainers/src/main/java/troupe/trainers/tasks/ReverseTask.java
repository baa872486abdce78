package troupe.trainers.tasks;

/**
 * Reverse a digit string: prompt {@code "rev 3071="}, answer {@code "1703"}. The length is uniform in
 * [minLength, maxLength]; digits are uniform, leading zeros included.
 */
public final class ReverseTask extends ProceduralTask {

    /**
     * @param minLength shortest string (>= 1)
     * @param maxLength longest string (<= 18)
     */
    public ReverseTask(int minLength, int maxLength, int evalSize, long seed) {
        super("reverse", random -> example(Digits.string(random, minLength, maxLength)),
                Digits.checkedStringCount("reverse", minLength, maxLength), maxLength, evalSize, seed);
    }

    /** {@code example("3071")} is {@code ("rev 3071=", "1703")}. */
    static Example example(String digits) {
        return new Example("rev " + digits + "=", new StringBuilder(digits).reverse().toString());
    }
}
