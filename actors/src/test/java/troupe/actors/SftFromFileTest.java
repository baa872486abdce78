package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;

/** SFT on a JSON-lines file of {"prompt", "completion"} records, packed, with one malformed line skipped. */
class SftFromFileTest {
  @Test
  void sftLearnsFromAFileAndSkipsABadLine(@TempDir Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    Random r = new Random(3);
    for (int i = 0; i < 300; i++) {
      String digits = Integer.toString(100 + r.nextInt(9900));
      lines.add("{\"prompt\": \"rev " + digits + "=\", \"completion\": \"" + new StringBuilder(digits).reverse()
          + "\"}");
    }
    lines.add(7, "{\"prompt\": \"rev 12=\"}"); // line 8: no completion
    NodeConfig config = NodeConfig.embedded(dir);
    Path file = Files.createDirectories(config.inputsDir()).resolve("sft.jsonl"); // where a server reads inputs
    Files.write(file, lines);
    try (TroupeNode node = TroupeNode.start(config)) {
      var spec = Workflows.tiny("stages:\n  - sft: {steps: 60, batch_size: 32, learning_rate: 0.003, packing: true, "
          + "lr_schedule: cosine, warmup_steps: 5, max_bad_lines: 1, train_file: \"" + file + "\"}\n");
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofMinutes(2));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + Workflows.last(events));
      assertTrue(events.stream().anyMatch(e -> e.hasNotice()
          && e.getNotice().getText().contains("1 malformed line skipped")
          && e.getNotice().getText().contains("sft.jsonl:8: field \"completion\" is missing")), "no notice");
      List<StepMetrics> steps = events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep).toList();
      double first = steps.get(0).getLoss();
      double last = steps.get(steps.size() - 1).getLoss();
      assertTrue(last < 0.6 * first, "loss " + first + " -> " + last);
    }
  }
}
