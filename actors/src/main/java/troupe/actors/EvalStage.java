package troupe.actors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import troupe.trainers.tasks.Example;
import troupe.trainers.tasks.PassAtK;
import troupe.v1.EvalStageConfig;
import troupe.v1.GenerateRequest;
import troupe.v1.Rollout;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreResponse;
import troupe.v1.TokenSequence;

/**
 * Evaluation as a stage: n sampled completions per held-out prompt give pass@k and the mean length; greedy decoding
 * gives the accuracy (and the samples shown). Everything goes into one evaluation event.
 */
final class EvalStage implements StageLoop {
  @Override
  public int run(StageContext c) {
    EvalStageConfig cfg = c.stage.getEval();
    c.workers.policy();
    List<Example> heldOut = c.task.heldOut();
    if (cfg.getPrompts() > 0 && cfg.getPrompts() < heldOut.size()) {
      heldOut = heldOut.subList(0, cfg.getPrompts());
    }
    int n = cfg.getSamplesPerPrompt();
    List<TokenSequence> prompts = heldOut.stream().map(e -> StageContext.prompt(e.prompt())).toList();
    int maxNew = cfg.getMaxNewTokens() > 0 ? cfg.getMaxNewTokens() : c.task.maxAnswerLength() + 1;
    List<Rollout> samples = c.generate(prompts, GenerateRequest.newBuilder().setSamplesPerPrompt(n)
        .setTemperature(cfg.getTemperature()).setTopP(1f).setMaxNewTokens(maxNew)
        .setSeed(c.spec.getSeed() * 7_919 + c.stageIndex));
    List<ScoreItem> items = new ArrayList<>();
    long tokens = 0;
    for (Rollout r : samples) {
      Example e = heldOut.get(r.getPromptIndex());
      items.add(ScoreItem.newBuilder().setPrompt(e.prompt()).setCompletion(r.getCompletionText())
          .setAnswer(e.answer()).build());
      tokens += r.getCompletionCount();
    }
    ScoreResponse scores = c.score(items);
    int[] correct = new int[heldOut.size()];
    for (int i = 0; i < samples.size(); i++) {
      correct[i / n] += scores.getCorrect(i) ? 1 : 0;
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (int k : cfg.getKList()) {
      metrics.put("pass@" + k, PassAtK.mean(n, correct, k));
    }
    metrics.put("mean_length", (double) tokens / samples.size());
    c.evaluate(0, metrics);
    return 1;
  }
}
