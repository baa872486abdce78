package troupe.trainers.tasks;

import java.util.List;
import java.util.Random;

/**
 * A verifiable task. Held-out prompts are a fixed set that {@link #labelled} and {@link #trainPrompt} never
 * return, so evaluation measures generalisation.
 */
public interface Task {

    /** The task kind, as in {@code task.kind} of a workflow ("addition", "reverse", ...). */
    String name();

    /**
     * {@code count} distinct labelled training examples (for SFT), the same list for the same seed; none is held
     * out. Throws IllegalArgumentException if the task has fewer than {@code count} training examples.
     */
    List<Example> labelled(int count, long seed);

    /**
     * One training prompt drawn with {@code random} (for RL). It carries its answer so the verifier can score a
     * completion; the policy only sees the prompt. Never a held-out prompt.
     */
    Example trainPrompt(Random random);

    /** The fixed held-out evaluation set (same list on every call). */
    List<Example> heldOut();

    /** The longest answer in characters, to bound generation. */
    int maxAnswerLength();
}
