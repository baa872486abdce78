package troupe.trainers.spec;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every NaN or infinite float of a spec, by field path (as the validator names fields, e.g.
 * {@code stages[1].grpo.kl_target}). The validator's own checks read only the fields a workflow uses; this catches
 * the rest, so no non-finite number is ever stored.
 */
final class FloatFields {
  private FloatFields() {}

  static Map<String, Double> nonFinite(Message message) {
    Map<String, Double> found = new LinkedHashMap<>();
    walk(message, "", found);
    return found;
  }

  private static void walk(Message message, String path, Map<String, Double> found) {
    for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String p = path.isEmpty() ? f.getName() : path + "." + f.getName();
      if (f.isRepeated() && !f.isMapField()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          visit(items.get(i), p + "[" + i + "]", found);
        }
      } else if (!f.isMapField()) { // the only map (placement.min_workers) holds integers
        visit(e.getValue(), p, found);
      }
    }
  }

  private static void visit(Object value, String path, Map<String, Double> found) {
    if (value instanceof Message m) {
      walk(m, path, found);
    } else if (value instanceof Float || value instanceof Double) {
      double d = ((Number) value).doubleValue();
      if (!Double.isFinite(d)) {
        found.put(path, d);
      }
    }
  }
}
