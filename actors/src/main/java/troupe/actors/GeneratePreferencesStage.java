package troupe.actors;

import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * the workflow folder. The file appears whole or not at all (written aside, then moved). A resume point keeps the
 * prompt stream and a copy of the pairs written so far.
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
    ResumePart output = ResumePart.file(partial, "output.partial.jsonl");
    try {
      Files.createDirectories(file.getParent());
      LoopState resumed = c.resumeMidStage(output); // puts the pairs written up to the point back
      if (resumed != null) {
        prompts = RandomState.load(resumed.getRandomState());
        pairs = resumed.getPairs();
        ties = resumed.getTies();
        steps = resumed.getStep();
      }
      try (BufferedWriter out = resumed == null ? Files.newBufferedWriter(partial, StandardCharsets.UTF_8)
          : Files.newBufferedWriter(partial, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
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
            out.newLine();
            pairs++;
          }
          timer.lap("write");
          steps++;
          c.emit(WorkflowEvent.newBuilder().setStep(StepMetrics.newBuilder().setStageIndex(c.stageIndex)
              .setStage(c.stage.getName()).setStep(steps).setTotalSteps(totalSteps(cfg))
              .setRewardMean(rewardSum / samples.size()).setSeconds(timer.total()).putAllPhaseSeconds(timer.phases())
              .setElapsedSeconds(c.elapsedSeconds())));
          if (c.resumePointDue(steps, totalSteps(cfg))) {
            out.flush(); // the point takes a copy of the output so far
            c.saveResumePoint(LoopState.newBuilder().setStep(steps).setRandomState(RandomState.save(prompts))
                .setPairs(pairs).setTies(ties), output);
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

  /** One step per generation call. */
  static int totalSteps(GeneratePreferencesConfig cfg) {
    return (cfg.getPrompts() + CHUNK - 1) / CHUNK;
  }
}
