package troupe.trainers.tasks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * Draws examples of a procedural task and keeps a fixed held-out set out of training.
 *
 * <p>The held-out set is drawn once from the task's own seed. Training draws (labelled examples and RL prompts)
 * come from the same distribution but are rejected when their prompt is in the set of held-out prompts: that
 * set is what guarantees held-out prompts are never trained on.
 */
final class HeldOutSampler {

    /** Mixed into the task seed for the held-out draws, so they differ from labelled(count, sameSeed). */
    private static final long HELD_OUT_SALT = 0x5DEECE66DL;
    /** A training draw gives up after this many held-out prompts in a row (cannot happen with <= 50% held out). */
    private static final int MAX_REJECTIONS = 1_000_000;

    private final String taskName;
    private final Function<Random, Example> draw;
    private final long promptCount;
    private final List<Example> heldOut;
    private final Set<String> heldOutPrompts = new HashSet<>();

    /**
     * @param taskName    for messages
     * @param draw        one example from the task distribution
     * @param promptCount how many distinct prompts the distribution can produce
     * @param evalSize    size of the held-out set; at most half the prompts may be held out
     * @param seed        the task's seed, fixes the held-out set
     */
    HeldOutSampler(String taskName, Function<Random, Example> draw, long promptCount, int evalSize, long seed) {
        this.taskName = taskName;
        this.draw = draw;
        this.promptCount = promptCount;
        if (evalSize < 0) {
            throw new IllegalArgumentException(taskName + ": eval size must be >= 0, got " + evalSize);
        }
        if (evalSize > promptCount / 2) {
            throw new IllegalArgumentException(taskName + ": the space of prompts is too small: " + promptCount
                    + " distinct prompts cannot hold " + evalSize + " held-out prompts plus training prompts"
                    + " (at most half, " + promptCount / 2 + ", may be held out); widen the digit range or lower"
                    + " the eval size");
        }
        this.heldOut = Collections.unmodifiableList(distinct(new Random(seed ^ HELD_OUT_SALT), evalSize));
        for (Example example : heldOut) {
            heldOutPrompts.add(example.prompt());
        }
    }

    List<Example> heldOut() {
        return heldOut;
    }

    /** One training example, never a held-out prompt. */
    Example trainPrompt(Random random) {
        for (int attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
            Example example = draw.apply(random);
            if (!heldOutPrompts.contains(example.prompt())) {
                return example;
            }
        }
        throw new IllegalStateException(taskName + ": " + MAX_REJECTIONS + " draws in a row were held-out prompts");
    }

    /** {@code count} distinct training examples drawn with {@code new Random(seed)}, none held out. */
    List<Example> labelled(int count, long seed) {
        long available = promptCount - heldOut.size();
        if (count < 0 || count > available) {
            throw new IllegalArgumentException(taskName + ": cannot give " + count + " distinct labelled examples; "
                    + promptCount + " prompts minus " + heldOut.size() + " held out leaves " + available);
        }
        Random random = new Random(seed);
        List<Example> examples = new ArrayList<>(count);
        Set<String> seen = new HashSet<>();
        long budget = budget(count);
        for (long attempt = 0; examples.size() < count; attempt++) {
            if (attempt >= budget) {
                throw new IllegalArgumentException(taskName + ": found only " + examples.size() + " of " + count
                        + " distinct labelled examples in " + budget + " draws; lower the labelled size or widen"
                        + " the digit range");
            }
            Example example = trainPrompt(random);
            if (seen.add(example.prompt())) {
                examples.add(example);
            }
        }
        return Collections.unmodifiableList(examples);
    }

    /** {@code count} examples with distinct prompts, in the order drawn. */
    private List<Example> distinct(Random random, int count) {
        Map<String, Example> found = new LinkedHashMap<>();
        long budget = budget(count);
        for (long attempt = 0; found.size() < count; attempt++) {
            if (attempt >= budget) {
                throw new IllegalArgumentException(taskName + ": found only " + found.size() + " of " + count
                        + " distinct held-out prompts in " + budget + " draws; lower the eval size");
            }
            Example example = draw.apply(random);
            found.putIfAbsent(example.prompt(), example);
        }
        return new ArrayList<>(found.values());
    }

    /** Draws allowed before giving up on finding {@code count} distinct prompts (a coupon-collector margin). */
    private static long budget(int count) {
        return 1_000L * count + 100_000L;
    }
}
