package troupe.trainers.tasks;

import java.util.Random;

/** Random decimal numbers and digit strings for the procedural tasks, and the sizes of their spaces. */
final class Digits {

    /** Longest operand: two 9-digit operands and their square count of pairs still fit in a long. */
    static final int MAX_OPERAND_DIGITS = 9;
    /** Longest digit string: 10^18 strings still fit in a long. */
    static final int MAX_STRING_LENGTH = 18;

    private Digits() {
    }

    /**
     * A number whose digit count is uniform in [minDigits, maxDigits], then uniform among the numbers with that
     * many digits (0..9 for one digit, 10^(d-1)..10^d-1 otherwise: no leading zeros).
     */
    static long operand(Random random, int minDigits, int maxDigits) {
        int digits = minDigits + random.nextInt(maxDigits - minDigits + 1);
        long low = lowest(digits);
        long high = pow10(digits) - 1;
        return low + random.nextLong(high - low + 1);
    }

    /** How many numbers have between minDigits and maxDigits digits. */
    static long operandCount(int minDigits, int maxDigits) {
        long count = 0;
        for (int d = minDigits; d <= maxDigits; d++) {
            count += pow10(d) - lowest(d);
        }
        return count;
    }

    /** A string of decimal digits (leading zeros allowed) whose length is uniform in [minLength, maxLength]. */
    static String string(Random random, int minLength, int maxLength) {
        int length = minLength + random.nextInt(maxLength - minLength + 1);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append((char) ('0' + random.nextInt(10)));
        }
        return text.toString();
    }

    /** How many digit strings have a length between minLength and maxLength. */
    static long stringCount(int minLength, int maxLength) {
        long count = 0;
        for (int length = minLength; length <= maxLength; length++) {
            count += pow10(length);
        }
        return count;
    }

    /** Checks {@code 1 <= min <= max <= limit}, naming the task and the two bounds in the message. */
    /** Checks the length range of a digit-string task and returns how many distinct strings it allows. */
    static long checkedStringCount(String task, int minLength, int maxLength) {
        checkRange(task, "length", minLength, maxLength, MAX_STRING_LENGTH);
        return stringCount(minLength, maxLength);
    }

    static void checkRange(String task, String what, int min, int max, int limit) {
        if (min < 1 || max < min || max > limit) {
            throw new IllegalArgumentException(task + ": need 1 <= min " + what + " <= max " + what + " <= " + limit
                    + ", got min " + min + ", max " + max);
        }
    }

    private static long lowest(int digits) {
        return digits == 1 ? 0 : pow10(digits - 1);
    }

    private static long pow10(int exponent) {
        long value = 1;
        for (int i = 0; i < exponent; i++) {
            value *= 10;
        }
        return value;
    }
}
