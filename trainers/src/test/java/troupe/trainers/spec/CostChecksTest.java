package troupe.trainers.spec;

import static troupe.trainers.spec.SpecProblems.assertContains;
import static troupe.trainers.spec.SpecProblems.message;

import org.junit.jupiter.api.Test;

/** trainStepBytes, which `troupe bench-memory` reports, is the very number the submission check compares. */
class CostChecksTest {
  private static String sft(int batch) {
    return "task: {kind: reverse, min_digits: 3, max_digits: 6}\nstages: [{sft: {batch_size: " + batch + "}}]\n";
  }

  @Test
  void theLargestAcceptedBatchIsTheLastOneWhoseEstimateFits() {
    double perRow = CostChecks.trainStepBytes(SpecDefaults.apply(WorkflowYaml.parse(sft(1))), 0);
    int largest = (int) (SpecLimits.MAX_STEP_BYTES / perRow);
    SpecValidator.resolve(WorkflowYaml.parse(sft(largest)), InputRoots.NONE);
    assertContains(message(sft(largest + 1)), "stages[0].sft: a step trains on batch_size " + (largest + 1));
  }
}
