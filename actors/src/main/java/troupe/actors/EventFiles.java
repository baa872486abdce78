package troupe.actors;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * A workflow's folder as ordinary files: spec.json (the resolved spec), events.jsonl (every event) and
 * metrics.jsonl (step metrics and evaluations only), one JSON object per line.
 */
final class EventFiles implements AutoCloseable {
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace()
      .preservingProtoFieldNames();
  private final Writer events;
  private final Writer metrics;

  EventFiles(Path folder, WorkflowSpec spec) {
    this(folder, spec, null);
  }

  /**
   * With {@code history} (a restart): events.jsonl and metrics.jsonl are first rewritten to hold exactly those
   * events (temporary file, then rename), and new events are appended after them.
   */
  EventFiles(Path folder, WorkflowSpec spec, java.util.List<WorkflowEvent> history) {
    try {
      Files.createDirectories(folder);
      Files.writeString(folder.resolve("spec.json"), JsonFormat.printer().preservingProtoFieldNames().print(spec));
      if (history != null) {
        StringBuilder all = new StringBuilder();
        StringBuilder steps = new StringBuilder();
        for (WorkflowEvent e : history) {
          String line = JSON.print(e) + "\n";
          all.append(line);
          if (e.hasStep() || e.hasEval()) {
            steps.append(line);
          }
        }
        replace(folder.resolve("events.jsonl"), all.toString());
        replace(folder.resolve("metrics.jsonl"), steps.toString());
      }
      events = Files.newBufferedWriter(folder.resolve("events.jsonl"), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      metrics = Files.newBufferedWriter(folder.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the workflow folder " + folder, e);
    }
  }

  private static void replace(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Every event in a workflow's events.jsonl, in order; a torn last line (a crash mid-write) is left out. */
  static java.util.List<WorkflowEvent> read(Path folder) throws IOException {
    java.util.List<WorkflowEvent> out = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(folder.resolve("events.jsonl"), StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      WorkflowEvent.Builder e = WorkflowEvent.newBuilder();
      try {
        JsonFormat.parser().merge(line, e);
      } catch (InvalidProtocolBufferException torn) {
        break;
      }
      out.add(e.build());
    }
    return out;
  }

  void append(WorkflowEvent event) {
    try {
      String line = JSON.print(event) + "\n";
      events.write(line);
      events.flush();
      if (event.hasStep() || event.hasEval()) {
        metrics.write(line);
        metrics.flush();
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to events.jsonl", e);
    }
  }

  @Override
  public void close() {
    try {
      events.close();
      metrics.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
