package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.ArtifactWritten;
import troupe.v1.EvalResult;
import troupe.v1.WorkflowEvent;

/** The eval stage (pass@k, mean length) and the generate_preferences stage, through the actors. */
class EvalAndPreferencesTest {
  @Test
  void preferencePairsAreWrittenAndTheEvalStageReportsPassAtK(@TempDir Path dir) throws Exception {
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir))) {
      var spec = Workflows.small("""
          stages:
            - sft: {steps: 200, batch_size: 32, learning_rate: 0.003}
            - name: gen
              generate_preferences: {prompts: 80, samples_per_prompt: 4}
            - eval: {samples_per_prompt: 4}
          """);
      List<WorkflowEvent> events = Workflows.run(node, spec, Duration.ofMinutes(2));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + Workflows.last(events));

      ArtifactWritten artifact = events.stream().filter(WorkflowEvent::hasArtifact).findFirst().orElseThrow()
          .getArtifact();
      assertEquals("preferences-gen.jsonl", artifact.getPath());
      Path file = dir.resolve("workflows").resolve(events.get(0).getWorkflowId()).resolve(artifact.getPath());
      List<String> lines = Files.readAllLines(file);
      assertEquals(artifact.getRecords(), lines.size());
      assertTrue(lines.size() > 0 && lines.size() <= 80, "pairs: " + lines.size());
      for (String line : lines) {
        JsonObject pair = JsonParser.parseString(line).getAsJsonObject();
        assertTrue(pair.get("prompt").getAsString().startsWith("rev "), line);
        assertNotEquals(pair.get("chosen").getAsString(), pair.get("rejected").getAsString(), line);
      }

      EvalResult eval = events.stream().filter(e -> e.hasEval() && e.getEval().getStageIndex() == 2).findFirst()
          .orElseThrow().getEval();
      double pass1 = eval.getMetricsOrThrow("pass@1");
      double pass4 = eval.getMetricsOrThrow("pass@4");
      assertTrue(pass4 >= pass1 && pass1 >= 0 && pass4 <= 1, eval.toString());
      assertTrue(eval.getMetricsOrThrow("mean_length") > 0, eval.toString());
    }
  }
}
