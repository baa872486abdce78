package troupe.diffusion.reward;

import java.util.LinkedHashMap;

/** The named checks of one image against one prompt, in a fixed order; passed when all of them hold. */
public record Verdict(LinkedHashMap<String, Boolean> checks, boolean passed, double fraction) {

  public static Verdict of(LinkedHashMap<String, Boolean> checks) {
    long held = checks.values().stream().filter(Boolean::booleanValue).count();
    boolean passed = !checks.isEmpty() && held == checks.size();
    double fraction = checks.isEmpty() ? 0 : (double) held / checks.size();
    return new Verdict(checks, passed, fraction);
  }
}
