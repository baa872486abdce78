package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static troupe.trainers.spec.SpecProblems.assertContains;
import static troupe.trainers.spec.SpecProblems.message;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import troupe.v1.RewardSpec;
import troupe.v1.RlConfig;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowSpec;

/** The upper bounds of SpecLimits and the combined estimates of CostChecks, as the validator reports them. */
class SpecLimitsTest {
  /** Every text stage kind, so every text field is used. */
  private static final String TEXT = """
      task: {kind: reverse, min_digits: 3, max_digits: 6}
      stages:
        - sft: {steps: 10}
        - ppo: {steps: 10}
        - grpo: {steps: 10, kl_controller: adaptive, dynamic_sampling: true}
        - eval: {}
        - name: gen
          generate_preferences: {prompts: 10}
        - dpo: {train_file: preferences-gen.jsonl}
        - name: rm
          reward_model: {train_file: preferences-gen.jsonl}
      placement: {min_workers: {rollout: 2}}
      """;
  private static final String IMAGES = """
      stages:
        - flow_pretrain: {steps: 10}
        - flow_grpo: {steps: 10, sde_window_size: 2}
      """;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // models
      "model: {layers: 65}|model.layers: must be in [1, 64], got 65",
      "model: {d_model: 8192, heads: 4}|model.d_model: must be in [8, 4096], got 8192",
      "model: {heads: 128}|model.heads: must be in [1, 64], got 128",
      "model: {d_ff: 100000}|model.d_ff: must be in [1, 16384], got 100000",
      "model: {max_seq_len: 5000}|model.max_seq_len: must be in [4, 4096], got 5000",
      // tasks
      "task: {eval_size: 50000000}|task.eval_size: must be in [1, 100000], got 50000000",
      "task: {labelled_size: 2000000}|task.labelled_size: must be in [1, 1000000], got 2000000",
      "task: {min_digits: 1, max_digits: 19}|task.max_digits: must be in [1, 18], got 19",
      "reward: {correct: 1.0e7}|reward.correct: must be a finite number in [-1000000.0, 1000000.0], got 1.0E7",
      // stages
      "stages: [{sft: {steps: 100001}}]|stages[0].sft.steps: must be in [1, 100000], got 100001",
      "stages: [{sft: {batch_size: 70000}}]|stages[0].sft.batch_size: must be in [1, 65536], got 70000",
      "stages: [{sft: {micro_batch_size: 70000}}]|stages[0].sft.micro_batch_size: must be in [0, 65536]",
      "stages: [{sft: {warmup_steps: 200000}}]|stages[0].sft.warmup_steps: must be in [0, 100000]",
      "stages: [{sft: {max_bad_lines: 2000000}}]|stages[0].sft.max_bad_lines: must be in [0, 1000000]",
      "stages: [{sft: {learning_rate: 5}}]|stages[0].sft.learning_rate: must be in (0, 1.0], got 5.0",
      "stages: [{grpo: {prompts_per_step: 5000}}]|stages[0].grpo.prompts_per_step: must be in [1, 4096], got 5000",
      "stages: [{grpo: {group_size: 2000}}]|stages[0].grpo.group_size: must be in [2, 1024], got 2000",
      "stages: [{grpo: {updates_per_batch: 100}}]|stages[0].grpo.updates_per_batch: must be in [1, 64], got 100",
      "stages: [{grpo: {max_new_tokens: 5000}}]|stages[0].grpo.max_new_tokens: must be in [0, 4096], got 5000",
      "stages: [{grpo: {kl_horizon: 2000000000}}]|stages[0].grpo.kl_horizon: must be <= 100000000",
      "stages: [{dapo: {max_generation_rounds: 1000}}]|stages[0].dapo.max_generation_rounds: must be <= 100",
      "stages: [{ppo: {critic_warmup_steps: 200000}}]|stages[0].ppo.critic_warmup_steps: must be <= 100000",
      "stages: [{ppo: {critic_learning_rate: 3}}]|stages[0].ppo.critic_learning_rate: must be in (0, 1.0]",
      "stages: [{eval: {samples_per_prompt: 2000, k: [1]}}]|stages[0].eval.samples_per_prompt: must be in [1, 1024]",
      "stages: [{eval: {prompts: 200000}}]|stages[0].eval.prompts: must be in [0, 100000], got 200000",
      "stages: [{generate_preferences: {prompts: 2000000}}]|stages[0].generate_preferences.prompts: must be in [1, 1000000]",
      "stages: [{dpo: {train_file: x.jsonl, batch_size: 100000}}]|stages[0].dpo.batch_size: must be in [1, 65536]",
      // workflow-wide
      "eval: {every_steps: 200000}|eval.every_steps: must be in [1, 100000], got 200000",
      "eval: {samples_shown: 1000}|eval.samples_shown: must be in [0, 100], got 1000",
      "runtime: {ask_timeout_seconds: 100000}|runtime.ask_timeout_seconds: must be in [1, 86400], got 100000",
      "runtime: {worker_wait_seconds: 100000}|runtime.worker_wait_seconds: must be in [1, 86400], got 100000",
      "runtime: {checkpoint_every_steps: 200000}|runtime.checkpoint_every_steps: must be in [0, 100000]",
      "runtime: {resume_every_steps: 200000}|runtime.resume_every_steps: must be in [0, 100000]",
      "runtime: {keep_resume_points: 101}|runtime.keep_resume_points: must be in [1, 100], got 101",
      "runtime: {max_recoveries: 101}|runtime.max_recoveries: must be in [0, 100], got 101",
      "placement: {min_workers: {rollout: 5000}}|placement.min_workers.rollout: must be in [1, 1024], got 5000",
  })
  void textFieldsHaveUpperBounds(String yaml, String expected) {
    String spec = yaml.startsWith("stages:") ? yaml : yaml + "\nstages: [{sft: {}}]";
    assertContains(message(spec), expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "image_model: {image_size: 2048}|image_model.image_size: must be in [8, 1024], got 2048",
      "image_model: {layers: 100}|image_model.layers: must be in [1, 64], got 100",
      "image_model: {prompt_layers: 100}|image_model.prompt_layers: must be in [0, 64], got 100",
      "image_model: {d_ff: 100000}|image_model.d_ff: must be in [1, 16384]",
      "shapes: {eval_prompts: 5000}|shapes.eval_prompts: must be in [1, 4096], got 5000",
      "shapes: {eval_samples_per_prompt: 2000}|shapes.eval_samples_per_prompt: must be in [1, 1024]",
      "shapes: {grid_samples_per_prompt: 65}|shapes.grid_samples_per_prompt: must be in [1, 64], got 65",
  })
  void imageFieldsHaveUpperBounds(String yaml, String expected) {
    assertContains(message(yaml + "\n" + IMAGES), expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "flow_pretrain: {eval_steps: 2000}|stages[0].flow_pretrain.eval_steps: must be in [1, 1000], got 2000",
      "flow_pretrain: {batch_size: 100000}|stages[0].flow_pretrain.batch_size: must be in [1, 65536]",
      "flow_grpo: {sample_steps: 2000, eval_steps: 2000}|stages[0].flow_grpo.sample_steps: must be in [2, 1000]",
      "flow_grpo: {group_size: 2000}|stages[0].flow_grpo.group_size: must be <= 1024, got 2000",
      "flow_grpo: {prompts_per_step: 5000}|stages[0].flow_grpo.prompts_per_step: must be in [1, 4096]",
      "flow_grpo: {learning_rate: 2}|stages[0].flow_grpo.learning_rate: must be in (0, 1.0], got 2.0",
  })
  void imageStagesHaveUpperBounds(String stage, String expected) {
    assertContains(message("stages:\n  - " + stage + "\n"), expected);
  }

  /** Each field is in range, yet together they would not fit: the estimates name the fields to lower. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "model: {layers: 64, d_model: 1024, heads: 16, d_ff: 4096}\\nstages: [{sft: {}}]"
          + "|model: about 805.6M parameters; the limit is 50M",
      "image_model: {layers: 64, d_model: 1024, d_ff: 4096}\\nstages: [{flow_pretrain: {}}]"
          + "|M parameters; the limit is 50M (each costs about 16 bytes in every worker that holds the model)",
      "stages: [{grpo: {prompts_per_step: 4096, group_size: 1024}}]"
          + "|stages[0].grpo: a step trains on prompts_per_step 4096 x group_size 1024 sequences at once: about",
      "stages: [{grpo: {prompts_per_step: 4096, group_size: 1024}}]"
          + "|GiB: lower prompts_per_step or group_size, or the model's size",
      "stages: [{sft: {batch_size: 65536}}]|stages[0].sft: a step trains on batch_size 65536 sequences at once",
      "stages: [{sft: {batch_size: 65536}}]|lower batch_size or set micro_batch_size",
      "stages: [{name: gen, generate_preferences: {}}, {dpo: {train_file: preferences-gen.jsonl, batch_size: 65536}}]"
          + "|stages[1].dpo: a step trains on batch_size 65536 pairs",
      "stages: [{eval: {samples_per_prompt: 1024, k: [1]}}]"
          + "|stages[0].eval: the stage samples 200 prompts x samples_per_prompt 1024 at once",
      "task: {kind: reverse, min_digits: 4, max_digits: 9, eval_size: 100000}\\nstages: [{sft: {}}]"
          + "|task.eval_size: every evaluation decodes the task's 100000 held-out prompts at once",
      "stages: [{sft: {steps: 100000}}]\\nruntime: {checkpoint_every_steps: 1}"
          + "|runtime: 100001 checkpoints and 4 resume points of this model take about",
      "stages: [{flow_grpo: {prompts_per_step: 1024, group_size: 256, updates_per_batch: 1}}]"
          + "|stages[0].flow_grpo: a step samples prompts_per_step 1024 x group_size 256 images",
      "image_model: {image_size: 256, patch_size: 16}\\nstages: [{flow_grpo: {prompts_per_step: 32, group_size: 32, "
          + "sample_steps: 100, eval_steps: 100}}]|stages[0].flow_grpo: a step's trajectories",
  })
  void combinationsAreBounded(String yaml, String expected) {
    assertContains(message(yaml.replace("\\n", "\n")), expected);
  }

  @Test
  void tooManyStages() {
    assertContains(message("stages: [" + "{sft: {steps: 1}}, ".repeat(101) + "]"),
        "stages: must be in [0, 100], got 101");
  }

  @Test
  void theShippedDefaultsAreFarBelowTheEstimates() {
    SpecValidator.resolve(WorkflowYaml.parse(TEXT), InputRoots.NONE);
    SpecValidator.resolve(WorkflowYaml.parse(IMAGES), InputRoots.NONE);
  }

  /**
   * Every integer of a spec (but the seed, which only seeds generators) has an upper bound: each is set in turn to
   * the largest int and must be reported under its own path. Walks the descriptor, so a new field without a bound
   * fails here.
   */
  @Test
  void everyIntegerFieldIsBounded() {
    List<String> unbounded = new ArrayList<>();
    forEachScalar(FieldDescriptor.JavaType.INT, (spec, path) -> {
      try {
        SpecValidator.resolve(spec.apply(Integer.MAX_VALUE), InputRoots.NONE);
        unbounded.add(path + " (accepted)");
      } catch (SpecException e) {
        if (!e.getMessage().contains(path + ": ")) {
          unbounded.add(path + " (" + e.getMessage() + ")");
        }
      }
    });
    assertEquals(List.of(), unbounded);
  }

  /** Every float, used by the workflow or not, is refused as NaN or infinite, under its own path. */
  @Test
  void everyFloatFieldRejectsNanAndInfinity() {
    List<String> accepted = new ArrayList<>();
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      forEachScalar(FieldDescriptor.JavaType.FLOAT, (spec, path) -> {
        try {
          SpecValidator.resolve(spec.apply(bad), InputRoots.NONE);
          accepted.add(path + " = " + bad);
        } catch (SpecException e) {
          if (!e.getMessage().contains(path + ": ")) {
            accepted.add(path + " = " + bad + " (" + e.getMessage() + ")");
          }
        }
      });
    }
    assertEquals(List.of(), accepted);
  }

  @Test
  void aNanInAnUnusedFieldIsNamed() {
    WorkflowSpec spec = WorkflowSpec.newBuilder()
        .setReward(RewardSpec.newBuilder().setCorrect(Float.POSITIVE_INFINITY))
        .addStages(StageSpec.newBuilder().setGrpo(RlConfig.newBuilder().setKlTarget(Float.NaN))) // kl fixed
        .build();
    String m = message(spec, InputRoots.NONE);
    assertContains(m, "stages[0].grpo.kl_target: must be a finite number, got NaN");
    assertContains(m, "reward.correct: must be a finite number in [-1000000.0, 1000000.0], got Infinity");
  }

  @Test
  void yamlNumbersTooLargeForAFloatAreRefusedWhileParsing() {
    var e = assertThrows(SpecException.class, () -> WorkflowYaml.parse("stages: [{sft: {learning_rate: 1.0e300}}]"));
    assertContains(e.getMessage(), "stages[0].sft.learning_rate: number 1.0E300 is too large for this field");
  }

  /** A setter of one field of the filled TEXT or IMAGES spec, and that field's path. */
  private interface Setter {
    WorkflowSpec apply(Object value);
  }

  /** Calls back with every scalar field of the given type in the filled text and image specs. */
  private static void forEachScalar(FieldDescriptor.JavaType type, BiConsumer<Setter, String> each) {
    for (String yaml : List.of(TEXT, IMAGES)) {
      WorkflowSpec filled = SpecValidator.resolve(WorkflowYaml.parse(yaml), InputRoots.NONE);
      walk(filled, "", type, (path, setter) -> each.accept(value -> (WorkflowSpec) setter.apply(value), path));
    }
  }

  private interface MessageSetter {
    Message apply(Object value);
  }

  private static void walk(Message msg, String path, FieldDescriptor.JavaType type,
      BiConsumer<String, MessageSetter> each) {
    for (FieldDescriptor f : msg.getDescriptorForType().getFields()) {
      String p = path.isEmpty() ? f.getName() : path + "." + f.getName();
      if (f.isMapField()) {
        if (type == FieldDescriptor.JavaType.INT) {
          for (Object entry : (List<?>) msg.getField(f)) {
            Message e = (Message) entry;
            String key = (String) e.getField(e.getDescriptorForType().findFieldByName("key"));
            FieldDescriptor value = e.getDescriptorForType().findFieldByName("value");
            each.accept(p + "." + key, v -> msg.toBuilder().addRepeatedField(f, e.toBuilder().setField(value, v)
                .build()).build());
          }
        }
      } else if (f.isRepeated()) {
        for (int i = 0; i < msg.getRepeatedFieldCount(f); i++) {
          int index = i;
          Object item = msg.getRepeatedField(f, i);
          if (item instanceof Message m) {
            walk(m, p + "[" + i + "]", type,
                (sub, set) -> each.accept(sub, v -> msg.toBuilder().setRepeatedField(f, index, set.apply(v)).build()));
          } else if (f.getJavaType() == type) {
            each.accept(p + "[" + i + "]", v -> msg.toBuilder().setRepeatedField(f, index, v).build());
          }
        }
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (msg.hasField(f)) {
          walk((Message) msg.getField(f), p, type,
              (sub, set) -> each.accept(sub, v -> msg.toBuilder().setField(f, set.apply(v)).build()));
        }
      } else if (f.getJavaType() == type) {
        each.accept(p, v -> msg.toBuilder().setField(f, v).build());
      }
    }
  }

}
