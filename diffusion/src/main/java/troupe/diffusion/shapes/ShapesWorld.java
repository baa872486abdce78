package troupe.diffusion.shapes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import troupe.diffusion.image.RgbImage;

/**
 * The closed world of coloured shapes: every prompt of the grammar, a fixed train/held-out split and a renderer
 * of ground-truth images.
 *
 * <p>The split is made over canonical forms, so two prompts that mean the same scene are always on the same side,
 * and it depends only on the prompt texts and the fraction (never on a run seed), so every run holds out the same
 * prompts.
 */
public final class ShapesWorld {
  public static final int DEFAULT_SIZE = 32;
  /** Every prompt of the grammar, in a fixed order: 36 count prompts, then 432 relation prompts. */
  private static final List<Prompt> ALL = List.copyOf(enumerate());
  /** All words of the grammar, sorted and distinct; the image model's prompt tokenizer is built from it. */
  public static final List<String> VOCABULARY = vocabularyOf(ALL);

  private final double heldOutFraction;
  private final List<Prompt> all;
  private final List<Prompt> train;
  private final List<Prompt> heldOut;

  public ShapesWorld(double heldOutFraction) {
    if (!(heldOutFraction >= 0 && heldOutFraction < 1)) {
      throw new IllegalArgumentException("held-out fraction must be in [0, 1), got " + heldOutFraction);
    }
    this.heldOutFraction = heldOutFraction;
    this.all = ALL;
    Set<Prompt> heldOutCanonical = chooseHeldOut(all, heldOutFraction);
    List<Prompt> trainList = new ArrayList<>();
    List<Prompt> heldOutList = new ArrayList<>();
    for (Prompt p : all) {
      (heldOutCanonical.contains(p.canonical()) ? heldOutList : trainList).add(p);
    }
    this.train = List.copyOf(trainList);
    this.heldOut = List.copyOf(heldOutList);
  }

  private static List<String> vocabularyOf(List<Prompt> prompts) {
    TreeSet<String> words = new TreeSet<>();
    for (Prompt p : prompts) {
      words.addAll(words(p));
    }
    return List.copyOf(words);
  }

  public double heldOutFraction() {
    return heldOutFraction;
  }

  /** Every prompt of the grammar: 36 count prompts, then 432 relation prompts. */
  public List<Prompt> all() {
    return all;
  }

  public List<Prompt> train() {
    return train;
  }

  public List<Prompt> heldOut() {
    return heldOut;
  }

  /** All words of the grammar, sorted and distinct. */
  public List<String> vocabulary() {
    return VOCABULARY;
  }

  /** A training prompt drawn uniformly. */
  public Prompt trainPrompt(Random random) {
    return train.get(random.nextInt(train.size()));
  }

  /** A ground-truth image at the default size of 32. */
  public RgbImage render(Prompt prompt, Random random) {
    return render(prompt, DEFAULT_SIZE, random);
  }

  /** A ground-truth image of the prompt (size >= 16); deterministic given the Random's state. */
  public RgbImage render(Prompt prompt, int size, Random random) {
    return SceneRenderer.render(prompt, size, random);
  }

  private static List<Prompt> enumerate() {
    List<Prompt> out = new ArrayList<>();
    for (int count = 1; count <= CountPrompt.MAX_COUNT; count++) {
      for (NamedColor color : NamedColor.values()) {
        for (ShapeKind shape : ShapeKind.values()) {
          out.add(new CountPrompt(count, color, shape));
        }
      }
    }
    for (Relation relation : Relation.values()) {
      for (NamedColor c1 : NamedColor.values()) {
        for (ShapeKind s1 : ShapeKind.values()) {
          for (NamedColor c2 : NamedColor.values()) {
            for (ShapeKind s2 : ShapeKind.values()) {
              if (c1 != c2) {
                out.add(new RelationPrompt(c1, s1, relation, c2, s2));
              }
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * Holds out about fraction of the count classes and of the relation classes (at least one of each when the
   * fraction is positive), taken in the order of a stable hash of their text, skipping any class whose removal
   * would leave a word without a training prompt.
   */
  private static Set<Prompt> chooseHeldOut(List<Prompt> all, double fraction) {
    Map<Prompt, List<Prompt>> classes = new LinkedHashMap<>();
    for (Prompt p : all) {
      classes.computeIfAbsent(p.canonical(), k -> new ArrayList<>()).add(p);
    }
    Map<String, Integer> trainUses = new HashMap<>();
    for (Prompt p : all) {
      for (String w : words(p)) {
        trainUses.merge(w, 1, Integer::sum);
      }
    }
    List<Prompt> countClasses = new ArrayList<>();
    List<Prompt> relationClasses = new ArrayList<>();
    for (Prompt canonical : classes.keySet()) {
      (canonical instanceof CountPrompt ? countClasses : relationClasses).add(canonical);
    }
    Set<Prompt> held = new HashSet<>();
    holdOut(countClasses, fraction, classes, trainUses, held);
    holdOut(relationClasses, fraction, classes, trainUses, held);
    return held;
  }

  private static void holdOut(List<Prompt> candidates, double fraction, Map<Prompt, List<Prompt>> classes,
      Map<String, Integer> trainUses, Set<Prompt> held) {
    int target = fraction == 0 ? 0 : Math.max(1, (int) Math.round(fraction * candidates.size()));
    List<Prompt> order = new ArrayList<>(candidates);
    order.sort(Comparator.comparingLong((Prompt p) -> stableHash(p.text())).thenComparing(Prompt::text));
    int taken = 0;
    for (Prompt canonical : order) {
      if (taken == target) {
        break;
      }
      List<Prompt> members = classes.get(canonical);
      if (keepsEveryWord(members, trainUses)) {
        for (Prompt p : members) {
          for (String w : words(p)) {
            trainUses.merge(w, -1, Integer::sum);
          }
        }
        held.add(canonical);
        taken++;
      }
    }
  }

  /** True when every word of these prompts is still used by some other training prompt. */
  private static boolean keepsEveryWord(List<Prompt> members, Map<String, Integer> trainUses) {
    Map<String, Integer> removed = new HashMap<>();
    for (Prompt p : members) {
      for (String w : words(p)) {
        removed.merge(w, 1, Integer::sum);
      }
    }
    return removed.entrySet().stream().allMatch(e -> trainUses.get(e.getKey()) > e.getValue());
  }

  private static Set<String> words(Prompt p) {
    return new TreeSet<>(List.of(p.text().split(" ")));
  }

  /** 64-bit FNV-1a of the UTF-8 bytes: a hash fixed by definition, so the split never changes between releases. */
  static long stableHash(String text) {
    long h = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }
}
