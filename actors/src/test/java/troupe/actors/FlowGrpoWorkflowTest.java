package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.diffusion.image.ImageTensors;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.Prompt;
import troupe.diffusion.shapes.ShapesWorld;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.EvalResult;
import troupe.v1.ImageRewardSpec;
import troupe.v1.RewardTerm;
import troupe.v1.ScoreImagesRequest;
import troupe.v1.ScoreResponse;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/** Image workflows end to end through the actors: pretraining, Flow-GRPO, evaluation grids, reward failures. */
class FlowGrpoWorkflowTest {
  static final String TINY_IMAGES = """
      name: tiny-images
      seed: 3
      image_model: {image_size: 16, patch_size: 4, layers: 1, d_model: 32, heads: 2, d_ff: 64}
      shapes: {eval_prompts: 4, eval_samples_per_prompt: 1, grid_prompts: 2, grid_samples_per_prompt: 3}
      eval: {every_steps: 10}
      runtime: {ask_timeout_seconds: 60, worker_wait_seconds: 20}
      stages:
        - flow_pretrain: {steps: 12, batch_size: 16, eval_steps: 4, warmup_steps: 0}
        - flow_grpo: {steps: 3, prompts_per_step: 2, group_size: 4, sample_steps: 4, eval_steps: 6,
                      updates_per_batch: 2, eval_every_steps: 2}
      """;

  @Test
  void pretrainThenFlowGrpoCompletesAndWritesImageGrids(@TempDir Path dir) throws Exception {
    // The second workflow starts from a checkpoint in the first one's folder.
    try (TroupeNode node = TroupeNode.start(NodeConfig.embedded(dir).withWorkflowsAsInputs())) {
      List<WorkflowEvent> events = Workflows.run(node, WorkflowYaml.parse(TINY_IMAGES), Duration.ofMinutes(3));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "last event: " + Workflows.last(events));
      List<StepMetrics> grpo = events.stream().filter(WorkflowEvent::hasStep).map(WorkflowEvent::getStep)
          .filter(s -> s.getStageIndex() == 1).toList();
      assertEquals(3, grpo.size());
      for (StepMetrics m : grpo) {
        assertTrue(Double.isFinite(m.getLoss()) && m.getKl() >= 0 && m.getClipFraction() >= 0, m.toString());
        assertEquals(0, m.getFailedSamples());
        assertTrue(m.getPhaseSecondsMap().keySet().containsAll(List.of("rollout", "reward", "reference", "train")));
      }
      // Evaluations at the start, on schedule and at the end of each stage, each with a grid a person can open.
      List<WorkflowEvent> grids = events.stream().filter(WorkflowEvent::hasImageGrid).toList();
      List<Integer> grpoGridSteps = grids.stream().filter(g -> g.getImageGrid().getStageIndex() == 1)
          .map(g -> g.getImageGrid().getStep()).toList();
      assertEquals(List.of(0, 2, 3), grpoGridSteps);
      Path folder = dir.resolve("workflows").resolve(events.get(0).getWorkflowId());
      BufferedImage png = ImageIO.read(folder.resolve(grids.get(grids.size() - 1).getImageGrid().getPath()).toFile());
      // Two rows of three 16-pixel images upscaled 3 times, plus gutters and a caption under each row.
      assertTrue(png.getWidth() >= 3 * 16 * 3 && png.getHeight() >= 2 * 16 * 3, png.getWidth() + "x" + png.getHeight());
      assertTrue(events.stream().filter(WorkflowEvent::hasEval).allMatch(e -> e.getEval().getChecksMap()
          .containsKey("count")));

      // Flow-GRPO alone from the pretraining checkpoint (how the demo starts from a shipped one): its first
      // evaluation sees exactly the weights the two-stage run's Flow-GRPO stage started from.
      String checkpoint = events.stream().filter(WorkflowEvent::hasCheckpoint).map(WorkflowEvent::getCheckpoint)
          .filter(c -> c.getStageIndex() == 0).reduce((a, b) -> b).orElseThrow().getPath();
      WorkflowSpec full = WorkflowYaml.parse(TINY_IMAGES);
      WorkflowSpec resumed = full.toBuilder().removeStages(0)
          .setImageModel(full.getImageModel().toBuilder().setInitCheckpoint(checkpoint)).build();
      List<WorkflowEvent> second = Workflows.run(node, resumed, Duration.ofMinutes(3));
      assertTrue(Workflows.last(second).hasCompleted(), () -> "last event: " + Workflows.last(second));
      EvalResult before = firstEval(events, 1);
      EvalResult fromCheckpoint = firstEval(second, 0);
      assertEquals(0, fromCheckpoint.getStep());
      assertEquals(before.getRewardMean(), fromCheckpoint.getRewardMean());
      assertEquals(before.getChecksMap(), fromCheckpoint.getChecksMap());
    }
  }

  private static EvalResult firstEval(List<WorkflowEvent> events, int stage) {
    return events.stream().filter(WorkflowEvent::hasEval).map(WorkflowEvent::getEval)
        .filter(e -> e.getStageIndex() == stage).findFirst().orElseThrow();
  }

  @Test
  void anImageWhoseRewardThrowsFailsOnlyThatSample() {
    ShapesWorld world = new ShapesWorld(0.15);
    Random random = new Random(1);
    Prompt good = world.train().get(0);
    List<RgbImage> images = List.of(world.render(good, 32, random), world.render(good, 32, random));
    ScoreResponse scores = RewardWorker.scoreImages(ScoreImagesRequest.newBuilder()
        .addPrompts(good.text()).addPrompts("a purple circle").setImages(ImageTensors.toTensor(images))
        .setReward(ImageRewardSpec.newBuilder().addTerms(RewardTerm.newBuilder().setName("composition").setWeight(1)))
        .build());
    assertEquals(1f, scores.getRewards(0));
    assertTrue(scores.getCorrect(0));
    assertTrue(scores.getDetails(0).getFailure().isEmpty());
    assertFalse(scores.getCorrect(1));
    assertTrue(scores.getDetails(1).getFailure().contains("purple"), scores.getDetails(1).getFailure());
  }
}
