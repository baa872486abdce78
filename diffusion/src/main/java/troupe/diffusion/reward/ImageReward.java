package troupe.diffusion.reward;

import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.Prompt;

/**
 * A weighted sum of named reward terms for one (prompt, image) sample. Scoring never throws: a sample that cannot be
 * scored gets reward 0 and a one-line failure reason, so one bad image cannot fail a whole batch.
 */
public final class ImageReward {
  /** composition: share of verifier checks passed; composition_strict: 1 if all passed; jpeg: minus kB. */
  public static final List<String> TERMS = List.of("composition", "composition_strict", "jpeg_compressibility");

  public record Term(String name, double weight) {}

  /** correct is the verifier's strict pass; failure is null unless the sample could not be scored. */
  public record Scored(double reward, boolean correct, Map<String, Boolean> checks, String failure) {}

  private final List<Term> terms;

  public ImageReward(List<Term> terms) {
    Set<String> seen = new HashSet<>();
    for (Term term : terms) {
      if (!TERMS.contains(term.name())) {
        throw new IllegalArgumentException("unknown image reward term \"" + term.name() + "\"; allowed: "
            + String.join(", ", TERMS));
      }
      if (!seen.add(term.name())) {
        throw new IllegalArgumentException("image reward term \"" + term.name() + "\" is listed twice");
      }
      if (!Double.isFinite(term.weight())) {
        throw new IllegalArgumentException("image reward term \"" + term.name() + "\" has weight " + term.weight());
      }
    }
    this.terms = List.copyOf(terms);
  }

  public List<Term> terms() {
    return terms;
  }

  public Scored score(String promptText, RgbImage image) {
    try {
      Prompt prompt = Prompt.parse(promptText);
      // The verifier always runs: correctness is reported even when no composition term is weighted.
      Verdict verdict = CompositionVerifier.check(prompt, image);
      double reward = 0;
      for (Term term : terms) {
        reward += term.weight() * value(term.name(), verdict, image);
      }
      if (!Double.isFinite(reward)) {
        throw new ArithmeticException("reward is " + reward);
      }
      return new Scored(reward, verdict.passed(), Collections.unmodifiableMap(verdict.checks()), null);
    } catch (RuntimeException e) {
      return new Scored(0, false, Map.of(), oneLine(e));
    }
  }

  private static double value(String name, Verdict verdict, RgbImage image) {
    return switch (name) {
      case "composition" -> verdict.fraction();
      case "composition_strict" -> verdict.passed() ? 1 : 0;
      case "jpeg_compressibility" -> JpegCompressibility.reward(image);
      default -> throw new IllegalStateException("term " + name + " has no implementation");
    };
  }

  private static String oneLine(RuntimeException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}
