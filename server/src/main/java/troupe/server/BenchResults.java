package troupe.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** A benchmark's named numbers as one JSON line: printed, and written to results.json in its folder. */
final class BenchResults {
  private BenchResults() {}

  static void write(Path dir, Map<String, Double> results) throws IOException {
    StringBuilder json = new StringBuilder("{");
    results.forEach((k, v) -> json.append(json.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
        .append(String.format(Locale.ROOT, "%.4f", v)));
    json.append("}");
    Files.writeString(dir.resolve("results.json"), json + "\n");
    System.out.println(json);
  }
}
