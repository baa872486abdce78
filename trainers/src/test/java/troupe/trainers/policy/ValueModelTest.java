package troupe.trainers.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import troupe.v1.CriticBatch;
import troupe.v1.FloatList;
import troupe.v1.ModelSpec;
import troupe.v1.NamedTensor;
import troupe.v1.OptimizerSettings;
import troupe.v1.TokenSequence;
import troupe.v1.Weights;

class ValueModelTest {
  private static final ModelSpec SPEC = ModelSpec.newBuilder().setLayers(1).setDModel(16).setHeads(2).setDFf(32)
      .setMaxSeqLen(16).build();
  private static final OptimizerSettings ADAM = OptimizerSettings.newBuilder().setLearningRate(1e-2f)
      .setMaxGradNorm(1f).build();

  /** Prompt (5, first) and a completion; rows with different firsts share no state. */
  private static TokenSequence row(int first, int... completion) {
    TokenSequence.Builder b = TokenSequence.newBuilder().addPrompt(5).addPrompt(first);
    for (int t : completion) {
      b.addCompletion(t);
    }
    return b.build();
  }

  private static FloatList floats(float... v) {
    FloatList.Builder b = FloatList.newBuilder();
    for (float x : v) {
      b.addValues(x);
    }
    return b.build();
  }

  @Test
  void valuesStartAtZeroAndTrainingFitsFixedReturns() {
    List<TokenSequence> rows = List.of(row(6, 7, 8, 9), row(4, 9, 2));
    try (ValueModel critic = new ValueModel(SPEC, 3, "cpu")) {
      List<float[]> v0 = critic.values(rows, 0);
      assertEquals(3, v0.get(0).length);
      assertEquals(2, v0.get(1).length);
      assertArrayEquals(new float[] {0f, 0f}, v0.get(1)); // the head starts at zero
      CriticBatch batch = CriticBatch.newBuilder().addAllRollouts(rows)
          .addReturns(floats(1f, 1f, 1f)).addReturns(floats(-1f, -1f))
          .addOldValues(floats(0f, 0f, 0f)).addOldValues(floats(0f, 0f)).setUpdates(1).build();
      double first = critic.trainStep(batch, ADAM, 1).getValueLoss();
      double last = first;
      for (int i = 0; i < 30; i++) {
        // refresh the old values as a PPO step would, so the clip range does not freeze the fit
        List<float[]> now = critic.values(rows, 0);
        CriticBatch.Builder b = batch.toBuilder().clearOldValues();
        now.forEach(v -> b.addOldValues(floats(v)));
        last = critic.trainStep(b.setValueClip(0.2f).build(), ADAM, 0).getValueLoss();
      }
      assertEquals(0.5, first, 1e-6); // 0.5 * mean((0 - (+-1))^2)
      assertTrue(last < 0.1 * first, "value loss " + first + " -> " + last);
      assertTrue(critic.values(rows, 0).get(0)[0] > 0.5f);
    }
  }

  @Test
  void backboneOnlyTakesThePolicyTransformerAndKeepsTheHead() {
    try (PolicyTrainer policy = new PolicyTrainer(SPEC, 11, "cpu"); ValueModel critic = new ValueModel(SPEC, 3, "cpu")) {
      Weights policyWeights = policy.exportWeights();
      critic.loadWeights(policyWeights, true);
      List<NamedTensor> criticTensors = critic.exportWeights().getTensorsList();
      assertEquals(policyWeights.getTensorsCount() + 2, criticTensors.size());
      for (int i = 0; i < policyWeights.getTensorsCount(); i++) {
        assertEquals(policyWeights.getTensors(i), criticTensors.get(i));
      }
      var e = assertThrows(IllegalArgumentException.class, () -> critic.loadWeights(policyWeights, false));
      assertTrue(e.getMessage().contains("value_head.weight"), e.getMessage());
    }
  }

  @Test
  void aBatchWithWrongLengthsIsRejectedClearly() {
    try (ValueModel critic = new ValueModel(SPEC, 3, "cpu")) {
      CriticBatch bad = CriticBatch.newBuilder().addRollouts(row(6, 7, 8)).addReturns(floats(1f))
          .addOldValues(floats(0f, 0f)).build();
      var e = assertThrows(IllegalArgumentException.class, () -> critic.trainStep(bad, ADAM, 0));
      assertTrue(e.getMessage().contains("1 values for 2 completion tokens"), e.getMessage());
      List<TokenSequence> none = new ArrayList<>();
      assertThrows(IllegalArgumentException.class, () -> critic.trainStep(CriticBatch.getDefaultInstance(), ADAM, 0));
      assertEquals(0, critic.values(none, 0).size());
    }
  }
}
