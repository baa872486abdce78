package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import troupe.v1.WorkflowSpec;

/** What the validator says about a spec that it refuses, for the spec tests. */
final class SpecProblems {
  private SpecProblems() {}

  /** The problems of a workflow file that names no server file. */
  static String message(String yaml) {
    return message(WorkflowYaml.parse(yaml), InputRoots.NONE);
  }

  static String message(WorkflowSpec spec, InputRoots inputs) {
    return assertThrows(SpecException.class, () -> SpecValidator.resolve(spec, inputs)).getMessage();
  }

  static void assertContains(String message, String expected) {
    assertTrue(message.contains(expected), () -> "expected \"" + expected + "\" in: " + message);
  }
}
