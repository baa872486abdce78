package troupe.trainers.spec;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import troupe.v1.WorkflowSpec;

/**
 * Reads a workflow file. The file is YAML whose structure is the JSON mapping of {@link WorkflowSpec}; field names
 * may be snake_case (as in the .proto) or lowerCamel. Walking the proto descriptor ourselves, rather than going
 * through JSON, lets every error name the field path (e.g. {@code stages[1].grpo.group_size}).
 */
public final class WorkflowYaml {
  private WorkflowYaml() {}

  public static WorkflowSpec parse(String text) {
    Object root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(10);
      root = new Yaml(new SafeConstructor(options)).load(text);
    } catch (YAMLException e) {
      throw new SpecException("not valid YAML: " + e.getMessage().replace('\n', ' ').replaceAll(" +", " ").trim());
    }
    if (root == null) {
      throw new SpecException("the workflow file is empty");
    }
    WorkflowSpec.Builder builder = WorkflowSpec.newBuilder();
    fill(builder, root, "");
    return builder.build();
  }

  private static void fill(Message.Builder builder, Object value, String path) {
    Descriptor type = builder.getDescriptorForType();
    if (!(value instanceof Map<?, ?> map)) {
      throw SpecException.at(path, "expected a mapping of fields (" + allowed(type) + "), got " + describe(value));
    }
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String key = String.valueOf(entry.getKey());
      String fieldPath = path.isEmpty() ? key : path + "." + key;
      FieldDescriptor field = findField(type, key);
      if (field == null) {
        throw SpecException.at(fieldPath, "unknown field; allowed: " + allowed(type));
      }
      if (field.getRealContainingOneof() != null) {
        for (FieldDescriptor other : field.getRealContainingOneof().getFields()) {
          if (other != field && builder.hasField(other)) {
            throw SpecException.at(fieldPath, "only one of " + other.getContainingOneof().getFields().stream()
                .map(FieldDescriptor::getName).collect(Collectors.joining(", ")) + " may be set");
          }
        }
      }
      Object raw = entry.getValue();
      if (raw == null) {
        // "field:" with nothing after it means "use the defaults" (for a stage, "sft:" selects SFT)
        if (!field.isRepeated() && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          builder.setField(field, builder.newBuilderForField(field).build());
        }
        continue;
      }
      if (field.isMapField()) {
        if (!(raw instanceof Map<?, ?> entries)) {
          throw SpecException.at(fieldPath, "expected a mapping, got " + describe(raw));
        }
        Descriptor entryType = field.getMessageType();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
          String entryPath = fieldPath + "." + e.getKey();
          Message.Builder entryBuilder = builder.newBuilderForField(field);
          entryBuilder.setField(entryType.findFieldByName("key"),
              scalar(entryType.findFieldByName("key"), String.valueOf(e.getKey()), entryPath));
          entryBuilder.setField(entryType.findFieldByName("value"),
              scalar(entryType.findFieldByName("value"), e.getValue(), entryPath));
          builder.addRepeatedField(field, entryBuilder.build());
        }
      } else if (field.isRepeated()) {
        if (!(raw instanceof List<?> list)) {
          throw SpecException.at(fieldPath, "expected a list, got " + describe(raw));
        }
        for (int i = 0; i < list.size(); i++) {
          String itemPath = fieldPath + "[" + i + "]";
          if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            Message.Builder item = builder.newBuilderForField(field);
            fill(item, list.get(i), itemPath);
            builder.addRepeatedField(field, item.build());
          } else {
            builder.addRepeatedField(field, scalar(field, list.get(i), itemPath));
          }
        }
      } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        Message.Builder child = builder.newBuilderForField(field);
        fill(child, raw, fieldPath);
        builder.setField(field, child.build());
      } else {
        builder.setField(field, scalar(field, raw, fieldPath));
      }
    }
  }

  private static FieldDescriptor findField(Descriptor type, String key) {
    FieldDescriptor field = type.findFieldByName(key);
    if (field != null) {
      return field;
    }
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(key)) {
        return f;
      }
    }
    return null;
  }

  private static Object scalar(FieldDescriptor field, Object raw, String path) {
    switch (field.getJavaType()) {
      case STRING:
        if (raw instanceof String s) {
          return s;
        }
        throw SpecException.at(path, "expected a string, got " + describe(raw));
      case BOOLEAN:
        if (raw instanceof Boolean b) {
          return b;
        }
        throw SpecException.at(path, "expected true or false, got " + describe(raw));
      case INT:
        return (int) integer(raw, path, Integer.MIN_VALUE, Integer.MAX_VALUE);
      case LONG:
        return integer(raw, path, Long.MIN_VALUE, Long.MAX_VALUE);
      case FLOAT:
        float f = (float) number(raw, path);
        if (Float.isInfinite(f)) { // e.g. 1e300: finite as a double, infinite once stored in a float field
          throw SpecException.at(path, "number " + raw + " is too large for this field (at most " + Float.MAX_VALUE
              + ")");
        }
        return f;
      case DOUBLE:
        return number(raw, path);
      case ENUM:
        EnumValueDescriptor v = raw instanceof String s ? field.getEnumType().findValueByName(s) : null;
        if (v == null) {
          throw SpecException.at(path, "expected one of " + field.getEnumType().getValues().stream()
              .map(EnumValueDescriptor::getName).collect(Collectors.joining(", ")) + ", got " + describe(raw));
        }
        return v;
      default:
        throw SpecException.at(path, "unsupported field type " + field.getJavaType());
    }
  }

  private static long integer(Object raw, String path, long min, long max) {
    BigInteger value;
    if (raw instanceof Integer || raw instanceof Long) {
      value = BigInteger.valueOf(((Number) raw).longValue());
    } else if (raw instanceof BigInteger b) {
      value = b;
    } else {
      throw SpecException.at(path, "expected an integer, got " + describe(raw));
    }
    if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
      throw SpecException.at(path, "integer " + value + " is out of range [" + min + ", " + max + "]");
    }
    return value.longValue();
  }

  private static double number(Object raw, String path) {
    if (raw instanceof Number n && !(raw instanceof BigDecimal)) {
      double d = n.doubleValue();
      if (Double.isFinite(d)) {
        return d;
      }
    }
    throw SpecException.at(path, "expected a finite number, got " + describe(raw));
  }

  private static String allowed(Descriptor type) {
    return type.getFields().stream().map(FieldDescriptor::getName).collect(Collectors.joining(", "));
  }

  private static String describe(Object value) {
    if (value instanceof Map) {
      return "a mapping";
    }
    if (value instanceof List) {
      return "a list";
    }
    if (value instanceof String s) {
      return "the string \"" + s + "\"";
    }
    return value == null ? "nothing" : value.getClass().getSimpleName().toLowerCase() + " " + value;
  }
}
