package troupe.trainers.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradientSmokeTest {

    @Test
    void adamStepsReduceNextTokenLoss() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLM model = TransformerLM.create(manager, TestModels.SMALL, 21);
            Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-2f)).build();
            int[] text = CharTokenizer.INSTANCE.encode("the cat sat on the mat");
            int s = text.length;
            float first = Float.NaN;
            float last = Float.NaN;
            for (int step = 0; step < 6; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray tokens = scope.create(text, new Shape(1, s));
                    int[] positions = new int[s];
                    for (int i = 0; i < s; i++) {
                        positions[i] = i;
                    }
                    float loss;
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        // Gradients accumulate across collectors in DJL 0.36: clear them first.
                        collector.zeroGradients();
                        NDArray logits = model.forward(tokens, scope.create(positions, new Shape(1, s)),
                                scope.ones(new Shape(1, s)), null);
                        NDArray inputs = logits.get(new NDIndex(":, :-1, :"));
                        NDArray targets = tokens.get(new NDIndex(":, 1:"));
                        NDArray nll = LogProbs.tokenLogProbs(inputs, targets, 0.9f).mean().neg();
                        collector.backward(nll);
                        loss = nll.getFloat();
                    }
                    if (step == 0) {
                        first = loss;
                        NDArray grad = model.parameters().get("layers.0.attn.wq").getGradient();
                        float norm = grad.abs().sum().getFloat();
                        grad.close();
                        assertTrue(norm > 0f, "wq gradient must be non-zero");
                    }
                    last = loss;
                    for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                        NDArray grad = p.getValue().getGradient();
                        adam.update(p.getKey(), p.getValue(), grad);
                        grad.close();
                    }
                }
            }
            assertTrue(last < first - 0.5f, "loss should drop: first " + first + " last " + last);
        }
    }
}
