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
    try {
      Files.createDirectories(folder);
      Files.writeString(folder.resolve("spec.json"), JsonFormat.printer().preservingProtoFieldNames().print(spec));
      events = Files.newBufferedWriter(folder.resolve("events.jsonl"), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      metrics = Files.newBufferedWriter(folder.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the workflow folder " + folder, e);
    }
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
