package troupe.trainers.tasks;

/**
 * Addition of two non-negative integers: prompt {@code "17+5="}, answer {@code "22"}. Each operand's digit count
 * is uniform in [minDigits, maxDigits], then the operand is uniform among the numbers with that many digits.
 * The sum has at most one digit more than the longest operand.
 */
public final class AdditionTask extends ProceduralTask {

    /**
     * @param minDigits fewest digits of an operand (>= 1)
     * @param maxDigits most digits of an operand (<= 9)
     */
    public AdditionTask(int minDigits, int maxDigits, int evalSize, long seed) {
        super("addition",
                random -> example(Digits.operand(random, minDigits, maxDigits),
                        Digits.operand(random, minDigits, maxDigits)),
                pairCount(minDigits, maxDigits), maxDigits + 1, evalSize, seed);
    }

    /** Checks the digit range and returns how many distinct (a, b) prompts it allows. */
    private static long pairCount(int minDigits, int maxDigits) {
        Digits.checkRange("addition", "digits", minDigits, maxDigits, Digits.MAX_OPERAND_DIGITS);
        long operands = Digits.operandCount(minDigits, maxDigits);
        return operands * operands;
    }

    /** {@code example(17, 5)} is {@code ("17+5=", "22")}. */
    static Example example(long a, long b) {
        return new Example(a + "+" + b + "=", Long.toString(a + b));
    }
}
