package troupe.trainers.tasks;

import java.util.Objects;

/** One prompt and the answer an exact-match verifier expects, e.g. {@code ("17+5=", "22")}. */
public record Example(String prompt, String answer) {
    public Example {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(answer, "answer");
    }
}
