package troupe.trainers.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The shape of the records in a data file, with TRL's field names. A typed constant per kind (rather than an
 * enum) so that readers return the matching record type: {@code JsonlDataset<PreferenceRecord>}.
 *
 * <p>Fields other than the required ones are ignored, as TRL ignores extra dataset columns: real files carry ids,
 * sources and scores next to the training fields. A misspelt required field still fails as "missing".
 */
public final class RecordKind<R extends DataRecord> {

  /** {@code prompt} + {@code completion}: supervised fine-tuning. */
  public static final RecordKind<SftRecord> SFT = new RecordKind<>("sft", "an SFT record", SftRecord.class,
      List.of(Field.text("prompt"), Field.text("completion")),
      v -> new SftRecord(v.text("prompt"), v.text("completion")));

  /** {@code prompt} + {@code chosen} + {@code rejected}: paired preferences (DPO and relatives). */
  public static final RecordKind<PreferenceRecord> PREFERENCE = new RecordKind<>("preference",
      "a preference record", PreferenceRecord.class,
      List.of(Field.text("prompt"), Field.text("chosen"), Field.text("rejected")),
      v -> new PreferenceRecord(v.text("prompt"), v.text("chosen"), v.text("rejected")));

  /** {@code prompt} + {@code completion} + boolean {@code label}: unpaired preferences (KTO). */
  public static final RecordKind<UnpairedRecord> UNPAIRED = new RecordKind<>("unpaired",
      "an unpaired preference record", UnpairedRecord.class,
      List.of(Field.text("prompt"), Field.text("completion"), Field.bool("label")),
      v -> new UnpairedRecord(v.text("prompt"), v.text("completion"), v.bool("label")));

  /** {@code prompt} + {@code answer}: verifiable RL tasks. */
  public static final RecordKind<TaskRecord> TASK = new RecordKind<>("task", "a task record", TaskRecord.class,
      List.of(Field.text("prompt"), Field.text("answer")),
      v -> new TaskRecord(v.text("prompt"), v.text("answer")));

  private static final List<RecordKind<?>> ALL = List.of(SFT, PREFERENCE, UNPAIRED, TASK);

  /** A required field: its JSON name and whether it holds text or a boolean. */
  record Field(String name, boolean isBoolean) {
    static Field text(String name) {
      return new Field(name, false);
    }

    static Field bool(String name) {
      return new Field(name, true);
    }
  }

  /** The required values of one line, already type-checked by the parser. */
  interface Values {
    String text(String field);

    boolean bool(String field);
  }

  private final String name;
  private final String description;
  private final Class<R> recordType;
  private final List<Field> fields;
  private final Function<Values, R> build;

  private RecordKind(String name, String description, Class<R> recordType, List<Field> fields,
      Function<Values, R> build) {
    this.name = name;
    this.description = description;
    this.recordType = recordType;
    this.fields = fields;
    this.build = build;
  }

  /** The kind's name in configuration: sft, preference, unpaired or task. */
  public String name() {
    return name;
  }

  /** The required field names, in the order errors check them. */
  public List<String> fieldNames() {
    return fields.stream().map(Field::name).toList();
  }

  public Class<R> recordType() {
    return recordType;
  }

  /**
   * One JSON line as a record.
   *
   * @param file a file name for messages
   * @param line the 1-based line number for messages
   * @throws MalformedLineException naming file, line and field
   */
  public R parse(String json, String file, long line) {
    return RecordParser.parse(this, json, file, line);
  }

  /** Every kind, in a fixed order. */
  public static List<RecordKind<?>> all() {
    return ALL;
  }

  /** The kind with this configuration name, case-insensitive. */
  public static RecordKind<?> named(String name) {
    for (RecordKind<?> kind : ALL) {
      if (kind.name.equals(name.toLowerCase(Locale.ROOT))) {
        return kind;
      }
    }
    throw new IllegalArgumentException("unknown record kind \"" + name + "\"; expected one of "
        + ALL.stream().map(RecordKind::name).toList());
  }

  /**
   * The kind a line's keys describe, as TRL infers a dataset type from its columns: chosen and rejected mean
   * preference, label means unpaired, completion means SFT, answer means task.
   */
  public static RecordKind<?> detect(Collection<String> keys) {
    if (keys.contains("chosen") && keys.contains("rejected")) {
      return PREFERENCE;
    }
    if (keys.contains("label") && keys.contains("completion")) {
      return UNPAIRED;
    }
    if (keys.contains("completion")) {
      return SFT;
    }
    if (keys.contains("answer")) {
      return TASK;
    }
    throw new IllegalArgumentException("cannot tell the record kind from the fields " + keys
        + "; expected prompt with completion, chosen+rejected, completion+label, or answer");
  }

  /** The kind of a file, from the keys of its first non-blank line. */
  public static RecordKind<?> detect(Path file) {
    try (LineReader reader = LineReader.open(file, ReadOptions.DEFAULT_MAX_LINE_BYTES)) {
      while (reader.next()) {
        if (reader.isBlank()) {
          continue;
        }
        String where = file + ":" + reader.lineNumber();
        try {
          return detect(RecordParser.topLevelKeys(reader.text(), file.toString(), reader.lineNumber()));
        } catch (MalformedLineException e) {
          throw e;
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
    throw new IllegalArgumentException(file + ": no records to tell the record kind from");
  }

  String description() {
    return description;
  }

  List<Field> fields() {
    return fields;
  }

  Field field(String name) {
    for (Field field : fields) {
      if (field.name.equals(name)) {
        return field;
      }
    }
    return null;
  }

  R build(Values values) {
    return build.apply(values);
  }

  @Override
  public String toString() {
    return name;
  }
}
