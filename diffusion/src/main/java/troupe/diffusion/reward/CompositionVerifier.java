package troupe.diffusion.reward;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.shapes.CountPrompt;
import troupe.diffusion.shapes.NamedColor;
import troupe.diffusion.shapes.Prompt;
import troupe.diffusion.shapes.Relation;
import troupe.diffusion.shapes.RelationPrompt;

/**
 * Checks an image against its prompt the way GenEval does, but by pixel analysis instead of a detector: segment by
 * palette colour, then check colours, counts, shapes and (for relation prompts) positions of the components.
 */
public final class CompositionVerifier {
  private CompositionVerifier() {}

  public static Verdict check(Prompt prompt, RgbImage image) {
    List<Blob> blobs = Segmenter.segment(image);
    if (prompt instanceof CountPrompt p) {
      return checkCount(p, blobs);
    }
    return checkRelation((RelationPrompt) prompt, blobs);
  }

  private static Verdict checkCount(CountPrompt p, List<Blob> blobs) {
    List<Blob> mine = ofColor(blobs, p.color());
    LinkedHashMap<String, Boolean> checks = new LinkedHashMap<>();
    checks.put("color", !mine.isEmpty() && mine.size() == blobs.size());
    checks.put("count", mine.size() == p.count());
    checks.put("shape", !mine.isEmpty() && mine.stream().allMatch(b -> b.shape() == p.shape()));
    return Verdict.of(checks);
  }

  private static Verdict checkRelation(RelationPrompt p, List<Blob> blobs) {
    List<Blob> first = ofColor(blobs, p.firstColor());
    List<Blob> second = ofColor(blobs, p.secondColor());
    LinkedHashMap<String, Boolean> checks = new LinkedHashMap<>();
    checks.put("color", !first.isEmpty() && !second.isEmpty() && first.size() + second.size() == blobs.size());
    checks.put("count", first.size() == 1 && second.size() == 1);
    // With extra components, judge the largest of each colour so a near miss still earns partial credit.
    Blob a = first.isEmpty() ? null : first.get(0);
    Blob b = second.isEmpty() ? null : second.get(0);
    boolean both = a != null && b != null;
    checks.put("shape", both && a.shape() == p.firstShape() && b.shape() == p.secondShape());
    boolean position = false;
    if (both) {
      Relation r = p.relation();
      double main = r.mainOffset(a.centroidX(), a.centroidY(), b.centroidX(), b.centroidY());
      double cross = r.crossOffset(a.centroidX(), a.centroidY(), b.centroidX(), b.centroidY());
      position = main > 0 && main > cross;
    }
    checks.put("position", position);
    return Verdict.of(checks);
  }

  /** Components of one colour, largest first. */
  private static List<Blob> ofColor(List<Blob> blobs, NamedColor color) {
    List<Blob> out = new ArrayList<>();
    for (Blob blob : blobs) {
      if (blob.color() == color) {
        out.add(blob);
      }
    }
    out.sort(Comparator.comparingInt(Blob::area).reversed());
    return out;
  }
}
