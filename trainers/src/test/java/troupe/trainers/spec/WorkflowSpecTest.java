package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowSpec;

class WorkflowSpecTest {
  private static final String MINIMAL = """
      name: t
      stages:
        - sft: {steps: 3}
        - grpo:
            group_size: 4
      """;

  @Test
  void minimalFileGetsEveryDefault() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse(MINIMAL), InputRoots.NONE);
    assertEquals(SpecDefaults.SEED, spec.getSeed());
    assertEquals("addition", spec.getTask().getKind());
    assertEquals(3, spec.getStages(0).getSft().getSteps());
    assertEquals(32, spec.getStages(0).getSft().getBatchSize());
    assertEquals(4, spec.getStages(1).getGrpo().getGroupSize());
    assertEquals("token-mean", spec.getStages(1).getGrpo().getLossAgg());
    assertEquals("grpo-2", spec.getStages(1).getName());
    assertEquals(StageSpec.AlgorithmCase.GRPO, spec.getStages(1).getAlgorithmCase());
  }

  @Test
  void camelCaseNamesAreAccepted() {
    WorkflowSpec spec = WorkflowYaml.parse("stages:\n  - grpo: {groupSize: 6, klBeta: 0.1}\n");
    assertEquals(6, spec.getStages(0).getGrpo().getGroupSize());
    assertEquals(0.1f, spec.getStages(0).getGrpo().getKlBeta(), 1e-7);
  }

  /** Run from the repository root as the server would be: relative checkpoint paths resolve under troupe.home. */
  @Test
  void shippedConfigsAreValid() throws Exception {
    Path configs = Path.of("..", "configs");
    String home = System.getProperty("troupe.home");
    System.setProperty("troupe.home", Path.of("..").toAbsolutePath().normalize().toString());
    InputRoots inputs = InputRoots.of(List.of(Path.of("..")));
    try (var files = Files.list(configs)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse(Files.readString(f)), inputs);
        String checkpoint = spec.getImageModel().getInitCheckpoint();
        assertTrue(checkpoint.isEmpty() || Path.of(checkpoint).isAbsolute(), checkpoint);
      }
    } finally {
      if (home == null) {
        System.clearProperty("troupe.home");
      } else {
        System.setProperty("troupe.home", home);
      }
    }
  }

  @Test
  void notYaml() {
    assertMessage("stages: [sft: {", "not valid YAML");
  }

  @Test
  void emptyFile() {
    assertMessage("", "empty");
  }

  @Test
  void unknownFieldNamesPathAndAllowedFields() {
    SpecException e = assertThrows(SpecException.class,
        () -> WorkflowYaml.parse("stages:\n  - grpo: {group_sise: 4}\n"));
    assertTrue(e.getMessage().startsWith("stages[0].grpo.group_sise: unknown field; allowed: steps,"),
        e.getMessage());
    assertTrue(e.getMessage().contains("group_size"), e.getMessage());
  }

  @Test
  void wrongTypes() {
    assertMessage("seed: abc\n", "seed: expected an integer, got the string \"abc\"");
    assertMessage("stages:\n  - grpo: {group_size: 2.5}\n", "stages[0].grpo.group_size: expected an integer");
    assertMessage("stages: {sft: {}}\n", "stages: expected a list");
    assertMessage("model: 3\n", "model: expected a mapping of fields");
    assertMessage("stages:\n  - sft: {steps: 99999999999}\n", "stages[0].sft.steps: integer 99999999999 is out of range");
  }

  @Test
  void placement() {
    WorkflowSpec spec = SpecValidator.resolve(WorkflowYaml.parse(
        "placement: {min_workers: {rollout: 2}, colocate: [reference]}\n" + MINIMAL), InputRoots.NONE);
    assertEquals(2, spec.getPlacement().getMinWorkersOrThrow("rollout"));
    assertEquals(1, spec.getPlacement().getMinWorkersOrThrow("reward"));
    assertEquals(java.util.List.of("reference"), spec.getPlacement().getColocateList());
    assertResolveMessage("placement: {min_workers: {rollouts: 2}}\n" + MINIMAL,
        "placement.min_workers: unknown \"rollouts\"; allowed: policy, reference, rollout, reward, critic");
    assertResolveMessage("placement: {min_workers: {rollout: 0}}\n" + MINIMAL,
        "placement.min_workers.rollout: must be >= 1");
    assertResolveMessage("placement: {min_workers: {policy: 2}}\n" + MINIMAL, "trains one policy and one critic");
    assertResolveMessage("placement: {colocate: [policy]}\n" + MINIMAL,
        "placement.colocate[0]: unknown \"policy\"; allowed: reference, rollout, reward, critic");
    assertMessage("placement: {min_workers: [rollout]}\n" + MINIMAL, "placement.min_workers: expected a mapping");
    assertMessage("placement: {min_workers: {rollout: two}}\n" + MINIMAL,
        "placement.min_workers.rollout: expected an integer");
  }

  @Test
  void twoAlgorithmsInOneStage() {
    assertMessage("stages:\n  - sft: {}\n    grpo: {}\n", "stages[0].grpo: only one of sft, flow_pretrain, ");
    assertMessage("stages:\n  - sft: {}\n    grpo: {}\n", " may be set");
  }

  @Test
  void duplicateKeysAreRejected() {
    assertMessage("seed: 1\nseed: 2\n", "not valid YAML");
  }

  @Test
  void outOfRangeValuesAreAllListedWithTheirPaths() {
    SpecException e = assertThrows(SpecException.class, () -> SpecValidator.resolve(WorkflowYaml.parse("""
        stages:
          - sft: {learning_rate: -0.1}
          - grpo: {group_size: 1, loss_agg: token-sum}
        """), InputRoots.NONE));
    String m = e.getMessage();
    assertTrue(m.contains("stages[0].sft.learning_rate: must be a finite number > 0, got -0.1"), m);
    assertTrue(m.contains("stages[1].grpo.group_size: must be >= 2, got 1"), m);
    assertTrue(m.contains("stages[1].grpo.loss_agg:") && m.contains("seq-mean-token-mean"), m);
  }

  @Test
  void unknownTaskAndAlgorithmAndNoStages() {
    assertResolveMessage("task: {kind: calculus}\nstages: [{sft: {}}]\n",
        "task.kind: unknown \"calculus\"; allowed: addition");
    assertResolveMessage("stages: [{name: x}]\n", "stages[0]: no algorithm; set exactly one of: sft, grpo");
    assertResolveMessage("name: x\n", "stages: at least one stage is required");
  }

  @Test
  void sequenceBudgetIsChecked() {
    assertResolveMessage("model: {max_seq_len: 8}\nstages: [{grpo: {max_new_tokens: 6}}]\n",
        "stages[0].grpo.max_new_tokens: BOS + the longest prompt + max_new_tokens");
  }

  @Test
  void headsMustDivideWidth() {
    assertResolveMessage("model: {d_model: 100, heads: 3}\nstages: [{sft: {}}]\n",
        "model.d_model: must be divisible by model.heads (3), got 100");
  }

  private static void assertMessage(String yaml, String expected) {
    SpecException e = assertThrows(SpecException.class, () -> WorkflowYaml.parse(yaml));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static void assertResolveMessage(String yaml, String expected) {
    SpecException e = assertThrows(SpecException.class,
        () -> SpecValidator.resolve(WorkflowYaml.parse(yaml), InputRoots.NONE));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
