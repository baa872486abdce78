package troupe.trainers.data;

import troupe.trainers.tasks.Example;

/** A verifiable RL task: a prompt and the answer a reward function checks against. */
public record TaskRecord(String prompt, String answer) implements DataRecord {
  public TaskRecord {
    Texts.require(prompt, "prompt");
    Texts.require(answer, "answer");
  }

  /** The same prompt and answer as the {@link Example} that tasks and rewards use. */
  public Example toExample() {
    return new Example(prompt, answer);
  }
}
