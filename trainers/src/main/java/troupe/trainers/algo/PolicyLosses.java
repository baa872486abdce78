package troupe.trainers.algo;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Policy losses by name (verl {@code policy_loss.loss_mode}; algorithms.md sections 0.7, 5.2 and 7.6):
 * <ul>
 *   <li>{@code ppo_clip}: the PPO-clip surrogate per token; clip-higher when {@code clipHigh > clipLow};
 *       no dual-clip ({@code dualClipC} must be null);
 *   <li>{@code dual_clip}: the same plus the dual-clip cap for negative advantages ({@code dualClipC} required);
 *   <li>{@code gspo}: GSPO's sequence-level ratio and clip, one loss per sequence ({@link GspoLoss}).
 * </ul>
 */
public final class PolicyLosses {

    /** One policy loss: pure, differentiable through {@code logProbs}. */
    @FunctionalInterface
    public interface Loss {
        /**
         * @param logProbs    {@code [B,T]} current log-probs (carry gradient)
         * @param oldLogProbs {@code [B,T]} behaviour log-probs
         * @param advantages  {@code [B,T]}, {@code [B,1]} or {@code [B]} ({@code gspo}: one per sequence)
         * @param mask        {@code [B,T]} float response mask
         * @param params      clip settings
         */
        PolicyLoss.Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray advantages, NDArray mask,
                                  PolicyLoss.ClipParams params);
    }

    private static final Registry<Loss> REGISTRY = new Registry<>("policy loss", entries());

    private PolicyLosses() {
    }

    /** The allowed names, in a fixed order. */
    public static List<String> names() {
        return REGISTRY.names();
    }

    /** The loss called {@code name}; an unknown name fails with the list of allowed names. */
    public static Loss byName(String name) {
        return REGISTRY.get(name);
    }

    private static Map<String, Loss> entries() {
        Map<String, Loss> m = new LinkedHashMap<>();
        m.put("ppo_clip", (lp, old, adv, mask, p) -> {
            if (p != null && p.dualClipC() != null) {
                throw new IllegalArgumentException("policy loss ppo_clip has no dual-clip; dualClipC must be null, "
                        + "got " + p.dualClipC() + " (use dual_clip)");
            }
            return PolicyLoss.compute(lp, old, adv, mask, p);
        });
        m.put("dual_clip", (lp, old, adv, mask, p) -> {
            if (p != null && p.dualClipC() == null) {
                throw new IllegalArgumentException("policy loss dual_clip needs dualClipC > 1, got null");
            }
            return PolicyLoss.compute(lp, old, adv, mask, p);
        });
        m.put("gspo", GspoLoss::compute);
        return m;
    }
}
