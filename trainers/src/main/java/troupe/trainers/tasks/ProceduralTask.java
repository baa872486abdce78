package troupe.trainers.tasks;

import java.util.List;
import java.util.Random;
import java.util.function.Function;

/** A task whose examples are drawn from a generator, with a fixed held-out set kept out of training. */
abstract class ProceduralTask implements Task {

    private final String name;
    private final int maxAnswerLength;
    private final HeldOutSampler sampler;

    /**
     * @param promptCount how many distinct prompts {@code draw} can produce
     * @param evalSize    held-out prompts; throws IllegalArgumentException if more than half of all prompts
     * @param seed        fixes the held-out set
     */
    ProceduralTask(String name, Function<Random, Example> draw, long promptCount, int maxAnswerLength, int evalSize,
            long seed) {
        this.name = name;
        this.maxAnswerLength = maxAnswerLength;
        this.sampler = new HeldOutSampler(name, draw, promptCount, evalSize, seed);
    }

    @Override
    public String name() {
        return name;
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
        return maxAnswerLength;
    }
}
