package troupe.trainers.data;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import java.io.IOException;
import java.io.StringReader;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Parses one JSON line into a record of a kind. Streams over the object with Gson's reader so that ignored
 * fields (which may be long) are skipped without building a tree, and a repeated required field is caught
 * instead of silently keeping the last value.
 */
final class RecordParser {

  private static final TypeAdapter<JsonElement> ELEMENT = new Gson().getAdapter(JsonElement.class);
  private static final int SHOWN_VALUE_CHARS = 60;

  /** Marks a required field that was present with JSON null. */
  private static final Object NULL = new Object();

  private RecordParser() {}

  static <R extends DataRecord> R parse(RecordKind<R> kind, String json, String file, long line) {
    Map<String, Object> values = new HashMap<>();
    try {
      JsonReader reader = strictReader(json);
      expectObject(reader, kind, file, line);
      reader.beginObject();
      while (reader.hasNext()) {
        String name = reader.nextName();
        if (kind.field(name) == null) {
          reader.skipValue(); // extra columns are ignored, as in TRL
          continue;
        }
        if (values.containsKey(name)) {
          throw new MalformedLineException(file, line, "field \"" + name + "\" appears more than once");
        }
        values.put(name, readValue(reader));
      }
      reader.endObject();
      expectEnd(reader, file, line);
    } catch (IOException | JsonParseException | IllegalStateException e) {
      throw new MalformedLineException(file, line, "not valid JSON: " + gist(e));
    }
    String needs = " (" + kind.description() + " needs " + String.join(", ", kind.fieldNames()) + ")";
    for (RecordKind.Field field : kind.fields()) {
      Object value = values.get(field.name());
      String quoted = "field \"" + field.name() + "\"";
      if (value == null) {
        throw new MalformedLineException(file, line, quoted + " is missing" + needs);
      }
      if (value == NULL) {
        throw new MalformedLineException(file, line, quoted + " is null" + needs);
      }
      if (field.isBoolean() && !(value instanceof Boolean)) {
        throw new MalformedLineException(file, line,
            quoted + " must be a JSON boolean (true or false), got " + shown(value));
      }
      if (!field.isBoolean() && !(value instanceof String)) {
        String hint = value instanceof JsonElement && ((JsonElement) value).isJsonArray()
            ? " (conversational lists of messages are not supported; give plain text)" : "";
        throw new MalformedLineException(file, line, quoted + " must be a string, got " + shown(value) + hint);
      }
    }
    try {
      return kind.build(new RecordKind.Values() {
        @Override
        public String text(String field) {
          return (String) values.get(field);
        }

        @Override
        public boolean bool(String field) {
          return (Boolean) values.get(field);
        }
      });
    } catch (IllegalArgumentException e) {
      // The record's own checks (empty text, identical pair) name the field; add where it is.
      throw new MalformedLineException(file, line, e.getMessage());
    }
  }

  /** The top-level keys of a JSON object line, for telling the record kind. */
  static Set<String> topLevelKeys(String json, String file, long line) {
    Set<String> keys = new LinkedHashSet<>();
    try {
      JsonReader reader = strictReader(json);
      expectObject(reader, null, file, line);
      reader.beginObject();
      while (reader.hasNext()) {
        keys.add(reader.nextName());
        reader.skipValue();
      }
      reader.endObject();
      expectEnd(reader, file, line);
    } catch (IOException | JsonParseException | IllegalStateException e) {
      throw new MalformedLineException(file, line, "not valid JSON: " + gist(e));
    }
    return keys;
  }

  private static JsonReader strictReader(String json) {
    JsonReader reader = new JsonReader(new StringReader(json));
    reader.setStrictness(Strictness.STRICT); // no comments, single quotes or unquoted names
    return reader;
  }

  private static void expectObject(JsonReader reader, RecordKind<?> kind, String file, long line)
      throws IOException {
    JsonToken token = reader.peek();
    if (token != JsonToken.BEGIN_OBJECT) {
      String fields = kind == null ? "" : " with " + String.join(", ", kind.fieldNames());
      throw new MalformedLineException(file, line, "expected a JSON object" + fields + ", got "
          + shown(ELEMENT.read(reader)));
    }
  }

  private static void expectEnd(JsonReader reader, String file, long line) throws IOException {
    boolean end;
    try {
      end = reader.peek() == JsonToken.END_DOCUMENT;
    } catch (MalformedJsonException e) {
      end = false; // a strict reader rejects anything but whitespace after the top-level value
    }
    if (!end) {
      throw new MalformedLineException(file, line, "text after the JSON object");
    }
  }

  private static Object readValue(JsonReader reader) throws IOException {
    switch (reader.peek()) {
      case STRING:
        return reader.nextString();
      case BOOLEAN:
        return reader.nextBoolean();
      case NULL:
        reader.nextNull();
        return NULL;
      default:
        return ELEMENT.read(reader); // kept only to show it in the type error
    }
  }

  private static String shown(Object value) {
    String text = value instanceof String ? new Gson().toJson(value) : String.valueOf(value);
    return text.length() <= SHOWN_VALUE_CHARS ? text : text.substring(0, SHOWN_VALUE_CHARS) + "...";
  }

  /** Gson wraps the reader's exception and appends a troubleshooting link on a second line: keep the gist. */
  private static String gist(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    String message = String.valueOf(root.getMessage());
    int newline = message.indexOf('\n');
    message = newline < 0 ? message : message.substring(0, newline);
    // "Use JsonReader.setStrictness(...) to accept malformed JSON at line 1 column 9 path $": the advice is for
    // programmers, and the JSON's line 1 is the file's current line.
    int malformed = message.indexOf("malformed JSON");
    if (message.startsWith("Use JsonReader") && malformed >= 0) {
      message = message.substring(malformed);
    }
    return message.replace(" at line 1 column ", " at column ");
  }
}
