package troupe.diffusion.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowDiTTest {
  static final PromptTokenizer WORDS = new PromptTokenizer(List.of("a", "red", "circle", "two", "circles"), 6);
  static final ImageModelConfig CONFIG = new ImageModelConfig(8, 4, 2, 16, 2, 32, 1, WORDS.vocabSize(), 6);

  @Test
  void patchifyThenUnpatchifyIsTheIdentityAndPatchesAreContiguousSquares() {
    try (NDManager m = NDManager.newBaseManager()) {
      FlowDiT model = new FlowDiT(m, CONFIG, 1);
      NDArray x = m.arange(2 * 3 * 8 * 8).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).reshape(2, 3, 8, 8);
      NDArray patches = model.patchify(x);
      assertEquals(new Shape(2, 4, 48), patches.getShape());
      // Patch 1 is the top-right 4x4 square: channel 0, row 0, columns 4..7 come first.
      float[] first = patches.get(0, 1).toFloatArray();
      assertArrayEquals(new float[] {4, 5, 6, 7}, java.util.Arrays.copyOfRange(first, 0, 4));
      assertArrayEquals(x.toFloatArray(), model.unpatchify(patches).toFloatArray());
    }
  }

  @Test
  void startsAtZeroVelocityAndTheGradientReachesThePromptEncoder() {
    try (NDManager m = NDManager.newBaseManager()) {
      FlowDiT model = new FlowDiT(m, CONFIG, 1);
      try (NDManager scope = m.newSubManager()) {
        NDArray x = scope.randomNormal(new Shape(2, 3, 8, 8));
        NDArray t = scope.create(new float[] {0.3f, 0.9f});
        NDList words = WORDS.batch(scope, List.of("a red circle", ""));
        NDArray v = model.forward(x, t, words.get(0), words.get(1));
        assertEquals(new Shape(2, 3, 8, 8), v.getShape());
        assertEquals(0f, v.abs().max().getFloat(), 0f); // adaLN-Zero and a zero head: identity blocks, no output
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          collector.backward(model.forward(x, t, words.get(0), words.get(1)).sub(x).square().mean());
        }
        // The head has a gradient at once; deeper parts get theirs after the zero gates open.
        assertTrue(model.parameters().get("head.weight").getGradient().abs().sum().getFloat() > 0);
      }
    }
  }

  @Test
  void theOutputDependsOnThePromptOnceTrained() {
    try (NDManager m = NDManager.newBaseManager()) {
      FlowDiT model = new FlowDiT(m, CONFIG, 1);
      // Give every zero-initialized array a value so the whole network is live.
      for (var e : model.parameters().entrySet()) {
        e.getValue().addi(m.randomNormal(0, 0.05f, e.getValue().getShape(), e.getValue().getDataType()));
      }
      try (NDManager scope = m.newSubManager()) {
        NDArray x = scope.randomNormal(new Shape(1, 3, 8, 8));
        NDArray t = scope.create(new float[] {0.5f});
        NDList red = WORDS.batch(scope, List.of("a red circle"));
        NDList two = WORDS.batch(scope, List.of("two red circles"));
        NDArray a = model.forward(x, t, red.get(0), red.get(1));
        NDArray b = model.forward(x, t, two.get(0), two.get(1));
        assertNotEquals(0f, a.sub(b).abs().max().getFloat());
      }
    }
  }

  @Test
  void unknownWordsAndBadShapesAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> WORDS.encode("a purple circle"));
    assertTrue(e.getMessage().contains("\"purple\""), e.getMessage());
    var s = assertThrows(IllegalArgumentException.class, () -> new ImageModelConfig(30, 4, 1, 16, 2, 32, 1, 7, 6));
    assertTrue(s.getMessage().contains("not divisible"), s.getMessage());
    assertArrayEquals(new int[] {PromptTokenizer.EMPTY}, WORDS.encode("  "));
  }
}
