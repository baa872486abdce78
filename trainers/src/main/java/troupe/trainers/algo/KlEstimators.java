package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KL estimators by name (algorithms.md section 0.5): {@code k1} ({@code lp - lp_ref}), {@code k2}
 * ({@code (lp - lp_ref)^2 / 2}) and {@code k3} ({@code exp(x) - x - 1}, {@code x = lp_ref - lp}, with verl's
 * clamps: x to [-20, 20], the value to [-10, 10]). See {@link KlEstimator} for what each is good for: k1 as a reward
 * penalty, k2 or k3 as a loss term.
 */
public final class KlEstimators {

    /** A per-token KL estimate with the shape of its inputs, no mask applied. */
    @FunctionalInterface
    public interface Estimator {
        NDArray estimate(NDArray logProbs, NDArray refLogProbs);
    }

    private static final Registry<Estimator> REGISTRY = new Registry<>("KL estimator", entries());

    private KlEstimators() {
    }

    /** The allowed names: k1, k2, k3. */
    public static List<String> names() {
        return REGISTRY.names();
    }

    /** The estimator called {@code name}; an unknown name fails with the list of allowed names. */
    public static Estimator byName(String name) {
        return REGISTRY.get(name);
    }

    private static Map<String, Estimator> entries() {
        Map<String, Estimator> m = new LinkedHashMap<>();
        m.put("k1", KlEstimator::k1);
        m.put("k2", KlEstimator::k2);
        m.put("k3", KlEstimator::k3);
        return m;
    }
}
