package troupe.server;

import java.util.List;
import troupe.trainers.spec.CostChecks;
import troupe.trainers.spec.SpecDefaults;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.WorkflowSpec;

/** One case of `troupe bench-memory`: a workflow (defaults applied) whose stage 0's training step is measured. */
record MemoryCase(String name, WorkflowSpec spec) {
  /** The demo's text model (0.4M parameters) with a longer context, and the flow-pretrain-shapes image model. */
  static final List<MemoryCase> ALL = List.of(
      sft(8, 32), sft(32, 32), sft(128, 32), sft(8, 64), sft(32, 64), sft(128, 64),
      text("grpo-32x8-len64", 64, "grpo: {prompts_per_step: 32, group_size: 8, kl_beta: 0.04, updates_per_batch: 2}"),
      flowPretrain(32), flowPretrain(128));

  static MemoryCase named(String name) {
    return ALL.stream().filter(c -> c.name.equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
        "no bench-memory case \"" + name + "\"; the cases are " + ALL.stream().map(MemoryCase::name).toList()));
  }

  /** What the submission check estimates for this step. */
  double estimateBytes() {
    return CostChecks.trainStepBytes(spec, 0);
  }

  private static MemoryCase sft(int batch, int len) {
    return text("sft-b" + batch + "-len" + len, len, "sft: {batch_size: " + batch + "}");
  }

  private static MemoryCase text(String name, int len, String stage) {
    return new MemoryCase(name, parse("model: {layers: 2, d_model: 128, heads: 4, d_ff: 512, max_seq_len: " + len
        + "}\ntask: {kind: reverse, min_digits: 3, max_digits: 6}\nstages:\n  - " + stage + "\n"));
  }

  private static MemoryCase flowPretrain(int batch) {
    return new MemoryCase("flow-pretrain-b" + batch, parse("image_model: {image_size: 32, patch_size: 4, layers: 4, "
        + "d_model: 64, heads: 4, d_ff: 256, prompt_layers: 1}\nstages:\n  - flow_pretrain: {batch_size: " + batch
        + "}\n"));
  }

  private static WorkflowSpec parse(String yaml) {
    return SpecDefaults.apply(WorkflowYaml.parse("name: bench-memory\n" + yaml));
  }
}
