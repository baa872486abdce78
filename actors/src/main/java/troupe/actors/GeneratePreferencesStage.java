package troupe.actors;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import troupe.trainers.spec.SpecLimits;
import troupe.trainers.tasks.Example;
import troupe.trainers.tasks.PreferencePair;
import troupe.v1.ArtifactWritten;
import troupe.v1.GenerateRequest;
import troupe.v1.GeneratePreferencesConfig;
import troupe.v1.LoopState;
import troupe.v1.Rollout;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreResponse;
import troupe.v1.StepMetrics;
import troupe.v1.TokenSequence;
import troupe.v1.WorkflowEvent;

/**
 * Preference pairs from the current policy: N samples for each training prompt, scored by the workflow's reward,
 * best against worst (ties skipped), written as JSON lines {"prompt", "chosen", "rejected"} (TRL's field names) into
 * the workflow folder. The file appears whole or not at all (written aside, then moved). The file aside only grows,
 * so a resume point keeps the prompt stream and the length and SHA-256 of the pairs written so far, not a copy: the
 * cost of a point stays the same however long the output gets.
 */
final class GeneratePreferencesStage implements StageLoop {
  /** Prompts per generation call: bounds the memory of one rollout batch (the validator's estimate uses it too). */
  private static final int CHUNK = SpecLimits.PREFERENCE_PROMPTS_PER_CALL;

  @Override
  public int run(StageContext c) {
    GeneratePreferencesConfig cfg = c.stage.getGeneratePreferences();
    c.workers.policy();
    Path file = c.folder.resolve(cfg.getOutput()); // a plain file name, checked at submission
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    Random prompts = new Random(c.spec.getSeed() * 15_485_863L + c.stageIndex);
    int n = cfg.getSamplesPerPrompt();
    int maxNew = cfg.getMaxNewTokens() > 0 ? cfg.getMaxNewTokens() : c.task.maxAnswerLength() + 1;
    int pairs = 0;
    int ties = 0;
    int steps = 0;
    try {
      Files.createDirectories(file.getParent());
      LoopState resumed = c.resumeMidStage();
      PartialOutput output = resumed == null ? null : resumeOutput(c, file, partial, resumed);
      if (output == null) {
        output = PartialOutput.fresh(partial);
      } else {
        prompts = RandomState.load(resumed.getRandomState());
        pairs = resumed.getPairs();
        ties = resumed.getTies();
        steps = resumed.getStep();
      }
      try (PartialOutput out = output) {
        for (int done = steps * CHUNK; done < cfg.getPrompts(); done += CHUNK) {
          c.checkCancelled();
          PhaseTimer timer = new PhaseTimer();
          List<Example> batch = new ArrayList<>();
          List<TokenSequence> tokens = new ArrayList<>();
          for (int i = 0; i < Math.min(CHUNK, cfg.getPrompts() - done); i++) {
            Example e = c.task.trainPrompt(prompts);
            batch.add(e);
            tokens.add(StageContext.prompt(e.prompt()));
          }
          List<Rollout> samples = c.generate(tokens, GenerateRequest.newBuilder().setSamplesPerPrompt(n)
              .setTemperature(cfg.getTemperature()).setTopP(1f).setMaxNewTokens(maxNew).setSeed(prompts.nextLong()));
          timer.lap("rollout");
          List<ScoreItem> items = new ArrayList<>();
          for (Rollout r : samples) {
            Example e = batch.get(r.getPromptIndex());
            items.add(ScoreItem.newBuilder().setPrompt(e.prompt()).setCompletion(r.getCompletionText())
                .setAnswer(e.answer()).build());
          }
          ScoreResponse scores = c.score(items);
          timer.lap("reward");
          double rewardSum = 0;
          for (int p = 0; p < batch.size(); p++) {
            float[] rewards = new float[n];
            for (int j = 0; j < n; j++) {
              rewards[j] = scores.getRewards(p * n + j);
              rewardSum += rewards[j];
            }
            PreferencePair pair = PreferencePair.bestAndWorst(rewards);
            if (pair == null) {
              ties++;
              continue;
            }
            JsonObject line = new JsonObject();
            line.addProperty("prompt", batch.get(p).prompt());
            line.addProperty("chosen", samples.get(p * n + pair.chosen()).getCompletionText());
            line.addProperty("rejected", samples.get(p * n + pair.rejected()).getCompletionText());
            out.write(line.toString());
            pairs++;
          }
          timer.lap("write");
          steps++;
          c.emit(WorkflowEvent.newBuilder().setStep(StepMetrics.newBuilder().setStageIndex(c.stageIndex)
              .setStage(c.stage.getName()).setStep(steps).setTotalSteps(totalSteps(cfg))
              .setRewardMean(rewardSum / samples.size()).setSeconds(timer.total()).putAllPhaseSeconds(timer.phases())
              .setElapsedSeconds(c.elapsedSeconds())));
          if (c.resumePointDue(steps, totalSteps(cfg))) {
            c.saveResumePoint(out.mark(LoopState.newBuilder().setStep(steps)
                .setRandomState(RandomState.save(prompts)).setPairs(pairs).setTies(ties)));
          }
        }
      }
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write preference pairs to " + file + ": " + e.getMessage(), e);
    }
    c.emit(WorkflowEvent.newBuilder().setArtifact(ArtifactWritten.newBuilder().setStageIndex(c.stageIndex)
        .setPath(c.folder.relativize(file).toString()).setRecords(pairs).setDescription(pairs + " preference pairs "
            + "from " + cfg.getPrompts() + " prompts x " + n + " samples; " + ties + " prompts skipped as ties")));
    return steps;
  }

  /**
   * The partial file as the point left it, cut back to the point's length (the lines after it come again); null,
   * after a warning, when it is not there as the point recorded it, and the stage starts over.
   */
  private static PartialOutput resumeOutput(StageContext c, Path file, Path partial, LoopState point) throws IOException {
    if (!Files.exists(partial) && Files.exists(file)) {
      // stopped after the last step moved the file into place, before the next stage's first point
      Files.move(file, partial, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      return PartialOutput.reopen(partial, point.getOutputBytes(), point.getOutputSha256());
    } catch (PartialOutput.Mismatch e) {
      c.workers.notice("warning: stage " + c.stage.getName() + " cannot go on from step " + point.getStep() + ": "
          + c.folder.relativize(partial) + " " + e.getMessage() + "; the stage runs again from its start");
      return null;
    }
  }

  /** One step per generation call. */
  static int totalSteps(GeneratePreferencesConfig cfg) {
    return (cfg.getPrompts() + CHUNK - 1) / CHUNK;
  }
}
