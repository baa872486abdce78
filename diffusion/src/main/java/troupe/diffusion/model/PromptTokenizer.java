package troupe.diffusion.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Words of a closed prompt grammar to ids. Id 0 pads, id 1 is the empty prompt (the unconditional input of
 * classifier-free guidance), words follow in vocabulary order.
 */
public final class PromptTokenizer {
  public static final int PAD = 0;
  public static final int EMPTY = 1;

  private final List<String> words;
  private final Map<String, Integer> ids = new HashMap<>();
  private final int maxWords;

  public PromptTokenizer(List<String> vocabulary, int maxWords) {
    this.words = List.copyOf(vocabulary);
    this.maxWords = maxWords;
    for (int i = 0; i < words.size(); i++) {
      ids.put(words.get(i), i + 2);
    }
  }

  public int vocabSize() {
    return words.size() + 2;
  }

  public int maxWords() {
    return maxWords;
  }

  /** Ids of the prompt's words; the empty prompt is the single EMPTY id. */
  public int[] encode(String prompt) {
    String trimmed = prompt.trim();
    if (trimmed.isEmpty()) {
      return new int[] {EMPTY};
    }
    String[] parts = trimmed.split("\\s+");
    if (parts.length > maxWords) {
      throw new IllegalArgumentException("prompt \"" + prompt + "\" has " + parts.length + " words; at most "
          + maxWords + " are allowed");
    }
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      Integer id = ids.get(parts[i]);
      if (id == null) {
        throw new IllegalArgumentException("prompt \"" + prompt + "\": unknown word \"" + parts[i] + "\"; known words: "
            + String.join(", ", words));
      }
      out[i] = id;
    }
    return out;
  }

  /** ids int32 [B, maxWords] padded on the right, and mask float32 [B, maxWords] with 1 on real words. */
  public NDList batch(NDManager manager, List<String> prompts) {
    int[] idGrid = new int[prompts.size() * maxWords];
    float[] maskGrid = new float[prompts.size() * maxWords];
    for (int b = 0; b < prompts.size(); b++) {
      int[] row = encode(prompts.get(b));
      for (int i = 0; i < row.length; i++) {
        idGrid[b * maxWords + i] = row[i];
        maskGrid[b * maxWords + i] = 1f;
      }
    }
    Shape shape = new Shape(prompts.size(), maxWords);
    NDArray idArray = manager.create(idGrid, shape);
    return new NDList(idArray, manager.create(maskGrid, shape));
  }
}
