package troupe.trainers.tasks;

import java.util.List;
import java.util.Random;

/**
 * Addition of two non-negative integers: prompt {@code "17+5="}, answer {@code "22"}. Each operand's digit count
 * is uniform in [minDigits, maxDigits], then the operand is uniform among the numbers with that many digits.
 */
public final class AdditionTask implements Task {

    private final int minDigits;
    private final int maxDigits;
    private final HeldOutSampler sampler;

    /**
     * @param minDigits fewest digits of an operand (>= 1)
     * @param maxDigits most digits of an operand (<= 9)
     * @param evalSize  held-out prompts; throws IllegalArgumentException if more than half of all prompts
     * @param seed      fixes the held-out set
     */
    public AdditionTask(int minDigits, int maxDigits, int evalSize, long seed) {
        Digits.checkRange(name(), "digits", minDigits, maxDigits, Digits.MAX_OPERAND_DIGITS);
        this.minDigits = minDigits;
        this.maxDigits = maxDigits;
        long operands = Digits.operandCount(minDigits, maxDigits);
        this.sampler = new HeldOutSampler(name(), this::draw, operands * operands, evalSize, seed);
    }

    @Override
    public String name() {
        return "addition";
    }

    @Override
    public List<Example> labelled(int count, long seed) {
        return sampler.labelled(count, seed);
    }

    @Override
    public Example trainPrompt(Random random) {
        return sampler.trainPrompt(random);
    }

    @Override
    public List<Example> heldOut() {
        return sampler.heldOut();
    }

    /** The sum has at most one digit more than the longest operand. */
    @Override
    public int maxAnswerLength() {
        return maxDigits + 1;
    }

    private Example draw(Random random) {
        long a = Digits.operand(random, minDigits, maxDigits);
        long b = Digits.operand(random, minDigits, maxDigits);
        return example(a, b);
    }

    /** {@code example(17, 5)} is {@code ("17+5=", "22")}. */
    static Example example(long a, long b) {
        return new Example(a + "+" + b + "=", Long.toString(a + b));
    }
}
