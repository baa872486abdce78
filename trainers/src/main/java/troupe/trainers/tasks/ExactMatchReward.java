package troupe.trainers.tasks;

/**
 * The verifier of every task here: a completion is correct when, stripped of surrounding white space, it equals
 * the answer.
 */
public final class ExactMatchReward {

    private ExactMatchReward() {
    }

    /** {@code completion.strip().equals(answer)}; the answer is compared as it is. */
    public static boolean isCorrect(String completion, String answer) {
        return completion.strip().equals(answer);
    }

    /** {@code correct} when {@link #isCorrect} holds, otherwise {@code wrong}. */
    public static float score(String completion, String answer, float correct, float wrong) {
        return isCorrect(completion, answer) ? correct : wrong;
    }
}
