package troupe.trainers.tasks;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Sort the digits of a string in ascending order: prompt {@code "sort 3071="}, answer {@code "0137"}. The length
 * is uniform in [minLength, maxLength]; digits are uniform.
 */
public final class SortTask implements Task {

    private final int minLength;
    private final int maxLength;
    private final HeldOutSampler sampler;

    /**
     * @param minLength shortest string (>= 1)
     * @param maxLength longest string (<= 18)
     * @param evalSize  held-out prompts; throws IllegalArgumentException if more than half of all prompts
     * @param seed      fixes the held-out set
     */
    public SortTask(int minLength, int maxLength, int evalSize, long seed) {
        Digits.checkRange(name(), "length", minLength, maxLength, Digits.MAX_STRING_LENGTH);
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.sampler = new HeldOutSampler(name(), this::draw, Digits.stringCount(minLength, maxLength), evalSize,
                seed);
    }

    @Override
    public String name() {
        return "sort";
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

    /** {@code example("3071")} is {@code ("sort 3071=", "0137")}. */
    static Example example(String digits) {
        char[] sorted = digits.toCharArray();
        Arrays.sort(sorted);
        return new Example("sort " + digits + "=", new String(sorted));
    }
}
