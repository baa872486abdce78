package troupe.trainers.tasks;

import java.util.List;
import java.util.Random;

/**
 * Reverse a digit string: prompt {@code "rev 3071="}, answer {@code "1703"}. The length is uniform in
 * [minLength, maxLength]; digits are uniform, leading zeros included.
 */
public final class ReverseTask implements Task {

    private final int minLength;
    private final int maxLength;
    private final HeldOutSampler sampler;

    /**
     * @param minLength shortest string (>= 1)
     * @param maxLength longest string (<= 18)
     * @param evalSize  held-out prompts; throws IllegalArgumentException if more than half of all prompts
     * @param seed      fixes the held-out set
     */
    public ReverseTask(int minLength, int maxLength, int evalSize, long seed) {
        Digits.checkRange(name(), "length", minLength, maxLength, Digits.MAX_STRING_LENGTH);
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.sampler = new HeldOutSampler(name(), this::draw, Digits.stringCount(minLength, maxLength), evalSize,
                seed);
    }

    @Override
    public String name() {
        return "reverse";
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

    @Override
    public int maxAnswerLength() {
        return maxLength;
    }

    private Example draw(Random random) {
        return example(Digits.string(random, minLength, maxLength));
    }

    /** {@code example("3071")} is {@code ("rev 3071=", "1703")}. */
    static Example example(String digits) {
        return new Example("rev " + digits + "=", new StringBuilder(digits).reverse().toString());
    }
}
