package troupe.trainers.algo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named parts of one kind (advantage estimators, policy losses, KL estimators...), looked up by the name a workflow
 * spec uses. Names keep their registration order, so error messages and {@code names()} list them predictably.
 */
final class Registry<T> {

    private final String kind;
    private final Map<String, T> entries;

    /** @param kind what the parts are, for error messages, e.g. {@code "advantage estimator"} */
    Registry(String kind, Map<String, T> entries) {
        this.kind = kind;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /** The part registered under {@code name}; an unknown (or null) name fails with the list of allowed names. */
    T get(String name) {
        T part = name == null ? null : entries.get(name);
        if (part == null) {
            throw new IllegalArgumentException("unknown " + kind + " \"" + name + "\"; allowed: "
                    + String.join(", ", entries.keySet()));
        }
        return part;
    }

    /** All registered names, in registration order. */
    List<String> names() {
        return List.copyOf(entries.keySet());
    }
}
