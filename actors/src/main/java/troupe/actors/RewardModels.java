package troupe.actors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import troupe.trainers.policy.ValueModel;
import troupe.v1.ModelSpec;
import troupe.v1.ScoreItem;
import troupe.v1.TokenSequence;

/**
 * The reward models a reward worker scores with, loaded from their checkpoints on first use and kept (the two most
 * recent), so a PPO stage does not reload its reward model every step. A rewritten checkpoint is loaded again.
 */
final class RewardModels {
  private static final int KEEP = 2;
  private final Map<String, Loaded> cache = new LinkedHashMap<>(4, 0.75f, true);

  private record Loaded(ValueModel model, long modified) {}

  /** The reward model at {@code checkpoint}, a safetensors file written by a reward_model stage. */
  synchronized Scorer get(String checkpoint, ModelSpec spec) {
    Path file = Path.of(checkpoint);
    long modified;
    try {
      modified = Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      throw new IllegalArgumentException("reward model checkpoint " + checkpoint + " cannot be read: " + e, e);
    }
    Loaded loaded = cache.get(checkpoint);
    if (loaded == null || loaded.modified() != modified) {
      if (loaded != null) {
        loaded.model().close();
      }
      ValueModel model = new ValueModel(spec, 0, "cpu");
      try {
        model.loadCheckpoint(file);
      } catch (IOException | RuntimeException e) {
        model.close();
        throw new IllegalArgumentException("cannot load reward model " + checkpoint + ": " + e.getMessage(), e);
      }
      loaded = new Loaded(model, modified);
      cache.put(checkpoint, loaded);
      while (cache.size() > KEEP) {
        String eldest = cache.keySet().iterator().next();
        cache.remove(eldest).model().close();
      }
    }
    return new Scorer(loaded.model());
  }

  /** Scores prompt + completion texts, the completion ended by EOS as the policy generates it. */
  record Scorer(ValueModel model) {
    float[] score(List<ScoreItem> items) {
      List<TokenSequence> rows = new ArrayList<>(items.size());
      for (ScoreItem item : items) {
        rows.add(RecordTokens.sequence(item.getPrompt(), item.getCompletion(), "completion"));
      }
      return model.scores(rows);
    }
  }
}
