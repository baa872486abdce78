package troupe.actors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import troupe.diffusion.image.ImageTensors;
import troupe.diffusion.image.PngGrid;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.Prompt;
import troupe.v1.EvalResult;
import troupe.v1.ImageGrid;
import troupe.v1.ImageSamples;
import troupe.v1.SampleImagesRequest;
import troupe.v1.ScoreResponse;
import troupe.v1.ShapesSpec;
import troupe.v1.WorkflowEvent;

/**
 * Held-out evaluation of an image workflow: deterministic ODE sampling (noise level 0) of held-out prompts with a
 * fixed seed, so every evaluation sees the same starting noise; compositional accuracy is the verifier's strict
 * pass rate. Also draws a PNG grid for a fixed set of held-out prompts.
 */
final class ImageEvaluation {
  /** Grid cells are upscaled so that 32-pixel images are visible. */
  private static final int GRID_SCALE = 3;

  private final StageContext c;
  private final int steps;
  private final float guidance;
  private final List<String> prompts;

  ImageEvaluation(StageContext c, int steps, float guidance) {
    this.c = c;
    this.steps = steps;
    this.guidance = guidance;
    List<String> heldOut = new ArrayList<>();
    for (Prompt p : c.world.heldOut()) {
      heldOut.add(p.text());
    }
    // A fixed shuffle mixes count and relation prompts; the same prompts are used by every stage and run.
    Collections.shuffle(heldOut, new Random(20_251_128L));
    this.prompts = heldOut.subList(0, Math.min(heldOut.size(), c.spec.getShapes().getEvalPrompts()));
  }

  /** Emits an eval event and an image grid event; returns the held-out compositional accuracy. */
  double run(int step) {
    c.checkCancelled();
    ShapesSpec shapes = c.spec.getShapes();
    Scored eval = sampleAndScore(prompts, shapes.getEvalSamplesPerPrompt());
    int n = eval.scores.getRewardsCount();
    double correct = 0;
    double reward = 0;
    Map<String, double[]> checks = new LinkedHashMap<>(); // name -> {passed, seen}
    for (int i = 0; i < n; i++) {
      correct += eval.scores.getCorrect(i) ? 1 : 0;
      reward += eval.scores.getRewards(i);
      for (Map.Entry<String, Boolean> e : eval.scores.getDetails(i).getChecksMap().entrySet()) {
        double[] tally = checks.computeIfAbsent(e.getKey(), k -> new double[2]);
        tally[0] += e.getValue() ? 1 : 0;
        tally[1]++;
      }
    }
    EvalResult.Builder result = EvalResult.newBuilder().setStageIndex(c.stageIndex).setStage(c.stage.getName())
        .setStep(step).setAccuracy(correct / n).setRewardMean(reward / n).setPrompts(prompts.size())
        .setElapsedSeconds(c.elapsedSeconds());
    checks.forEach((name, tally) -> result.putChecks(name, tally[0] / tally[1]));
    c.emit(WorkflowEvent.newBuilder().setEval(result));
    if (shapes.getGridPrompts() > 0) {
      writeGrid(step, prompts.subList(0, Math.min(prompts.size(), shapes.getGridPrompts())),
          shapes.getGridSamplesPerPrompt());
    }
    return correct / n;
  }

  private record Scored(ImageSamples samples, ScoreResponse scores) {}

  private Scored sampleAndScore(List<String> texts, int perPrompt) {
    ImageSamples samples = c.sampleImages(texts, SampleImagesRequest.newBuilder().setSamplesPerPrompt(perPrompt)
        .setSteps(steps).setNoiseLevel(0f).setGuidance(guidance)
        .setTimeShift(c.spec.getImageModel().getTimeShift()).setSeed(c.spec.getSeed() * 31 + 7));
    return new Scored(samples, c.scoreImages(StageContext.repeatEach(texts, perPrompt), samples.getImages()));
  }

  private void writeGrid(int step, List<String> texts, int perPrompt) {
    Scored grid = sampleAndScore(texts, perPrompt);
    List<RgbImage> images = ImageTensors.fromTensor(grid.samples.getImages());
    List<List<RgbImage>> rows = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int p = 0; p < texts.size(); p++) {
      rows.add(images.subList(p * perPrompt, (p + 1) * perPrompt));
      int passed = 0;
      for (int k = 0; k < perPrompt; k++) {
        passed += grid.scores.getCorrect(p * perPrompt + k) ? 1 : 0;
      }
      labels.add(texts.get(p) + "  " + passed + "/" + perPrompt);
    }
    String name = "images/stage-" + c.stageIndex + "-step-" + step + ".png";
    try {
      PngGrid.write(c.folder.resolve(name), labels, rows, GRID_SCALE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + name + ": " + e.getMessage(), e);
    }
    c.emit(WorkflowEvent.newBuilder().setImageGrid(ImageGrid.newBuilder().setStageIndex(c.stageIndex).setStep(step)
        .setPath(name).addAllPrompts(texts)));
  }
}
