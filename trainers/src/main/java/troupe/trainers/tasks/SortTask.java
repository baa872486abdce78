package troupe.trainers.tasks;

import java.util.Arrays;

/**
 * Sort the digits of a string in ascending order: prompt {@code "sort 3071="}, answer {@code "0137"}. The length
 * is uniform in [minLength, maxLength]; digits are uniform.
 */
public final class SortTask extends ProceduralTask {

    /**
     * @param minLength shortest string (>= 1)
     * @param maxLength longest string (<= 18)
     */
    public SortTask(int minLength, int maxLength, int evalSize, long seed) {
        super("sort", random -> example(Digits.string(random, minLength, maxLength)),
                Digits.checkedStringCount("sort", minLength, maxLength), maxLength, evalSize, seed);
    }

    /** {@code example("3071")} is {@code ("sort 3071=", "0137")}. */
    static Example example(String digits) {
        char[] sorted = digits.toCharArray();
        Arrays.sort(sorted);
        return new Example("sort " + digits + "=", new String(sorted));
    }
}
