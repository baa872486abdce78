package troupe.trainers.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.trainers.algo.ExplainedVariance;
import troupe.trainers.model.TensorCodec;
import troupe.v1.CriticBatch;
import troupe.v1.FloatList;
import troupe.v1.ModelSpec;
import troupe.v1.OptimizerSettings;
import troupe.v1.NamedTensor;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepResponse;
import troupe.v1.Weights;

class ValueModelTest {

  static FloatList floats(float... values) {
    FloatList.Builder b = FloatList.newBuilder();
    for (float v : values) {
      b.addValues(v);
    }
    return b.build();
  }

  /** Fixed targets per token that depend on the row and the position, so the critic has something to learn. */
  static float[] returnsOf(int row, int length) {
    float[] r = new float[length];
    for (int k = 0; k < length; k++) {
      r[k] = (row % 2 == 0 ? 1f : -1f) + 0.25f * k;
    }
    return r;
  }

  static CriticBatch.Builder batch(List<TokenSequence> rows) {
    CriticBatch.Builder b = CriticBatch.newBuilder().addAllRollouts(rows);
    for (int i = 0; i < rows.size(); i++) {
      b.addReturns(floats(returnsOf(i, rows.get(i).getCompletionCount())));
    }
    return b;
  }

  /** Critic weights with another value head: a row-dependent weight makes the values depend on the states. */
  static Weights withHead(ValueModel critic, long seed, float bias) {
    java.util.Random random = new java.util.Random(seed);
    Weights w = critic.exportWeights();
    Weights.Builder out = w.toBuilder().clearTensors();
    for (NamedTensor t : w.getTensorsList()) {
      if (t.getName().equals("value_head.weight")) {
        float[] weight = new float[Math.toIntExact(t.getTensor().getShape(0))];
        for (int i = 0; i < weight.length; i++) {
          weight[i] = (float) random.nextGaussian() * 0.5f;
        }
        t = t.toBuilder().setTensor(TensorCodec.toProto(critic.manager.create(weight, new Shape(weight.length, 1))))
            .build();
      } else if (t.getName().equals("value_head.bias")) {
        t = t.toBuilder().setTensor(TensorCodec.toProto(critic.manager.create(new float[] {bias}))).build();
      }
      out.addTensors(t);
    }
    return out.build();
  }

  static Map<String, float[]> snapshot(ValueModel critic) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : critic.parameters().entrySet()) {
      out.put(e.getKey(), e.getValue().toFloatArray());
    }
    return out;
  }

  @Test
  void valuesHaveOnePerCompletionTokenAndFollowTheHead() {
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 1, "cpu")) {
      List<TokenSequence> rows = new ArrayList<>(PolicyTrainerTest.rows());
      rows.add(PolicyTrainerTest.seq(new int[] {12, 13}, new int[0])); // nothing to value
      List<float[]> start = critic.values(rows, 0);
      assertEquals(rows.size(), start.size());
      for (int i = 0; i < rows.size(); i++) {
        assertEquals(rows.get(i).getCompletionCount(), start.get(i).length, "row " + i);
        assertArrayEquals(new float[start.get(i).length], start.get(i), 0f, "the head starts at zero");
      }

      critic.loadWeights(withHead(critic, 5, 0f));
      List<float[]> values = critic.values(rows, 0);
      assertTrue(Math.abs(values.get(3)[0] - values.get(3)[1]) > 1e-4f, "values follow the states");
      assertArrayEquals(values.get(3), critic.values(rows, 2).get(3), 1e-6f, "micro-batching changes nothing");
      // The bias moves every value by exactly its change.
      critic.loadWeights(withHead(critic, 5, 1.5f));
      List<float[]> shifted = critic.values(rows, 0);
      for (int i = 0; i < rows.size(); i++) {
        for (int k = 0; k < values.get(i).length; k++) {
          assertEquals(values.get(i)[k] + 1.5f, shifted.get(i)[k], 1e-5f);
        }
      }
    }
  }

  /** V of completion token k sees the prompt and tokens before k, never token k itself (algorithms.md 2.2). */
  @Test
  void valueOfATokenIsTheStateBeforeIt() {
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 2, "cpu")) {
      critic.loadWeights(withHead(critic, 9, 0f));
      TokenSequence a = PolicyTrainerTest.seq(new int[] {10, 11, 12}, new int[] {20, 21, 22});
      TokenSequence lastChanged = PolicyTrainerTest.seq(new int[] {10, 11, 12}, new int[] {20, 21, 40});
      TokenSequence firstChanged = PolicyTrainerTest.seq(new int[] {10, 11, 12}, new int[] {40, 21, 22});
      List<float[]> v = critic.values(List.of(a, lastChanged, firstChanged), 0);
      assertArrayEquals(v.get(0), v.get(1), 1e-6f, "the last token is never looked at");
      assertEquals(v.get(0)[0], v.get(2)[0], 1e-6f, "V_0 is the state after the prompt");
      assertTrue(Math.abs(v.get(0)[1] - v.get(2)[1]) > 1e-6f, "V_1 sees the first completion token");
    }
  }

  @Test
  void trainingLowersTheValueLossTowardsFixedReturns() {
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 3, "cpu")) {
      List<TokenSequence> rows = PolicyTrainerTest.rows();
      CriticBatch b = batch(rows).setUpdates(1).build();
      List<float[]> returns = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        returns.add(returnsOf(i, rows.get(i).getCompletionCount()));
      }
      double evBefore = ExplainedVariance.of(returns, critic.values(rows, 0));
      TrainStepResponse first = critic.trainStep(b, PolicyTrainerTest.ADAM, 0);
      TrainStepResponse last = first;
      for (int i = 0; i < 40; i++) {
        last = critic.trainStep(b, PolicyTrainerTest.ADAM, 0);
      }
      assertTrue(first.getValueLoss() > 0.2, "initial loss " + first.getValueLoss());
      assertTrue(last.getValueLoss() < 0.2 * first.getValueLoss(),
          "value loss went from " + first.getValueLoss() + " to " + last.getValueLoss());
      double evAfter = ExplainedVariance.of(returns, critic.values(rows, 0));
      assertEquals(0, evBefore, 1e-9, "zero values explain nothing");
      assertTrue(evAfter > 0.5, "explained variance " + evBefore + " -> " + evAfter);
      assertEquals(41, critic.version());
      assertEquals(41, last.getPolicyVersion());
      assertTrue(last.getGradNorm() > 0);
      int tokens = rows.stream().mapToInt(TokenSequence::getCompletionCount).sum();
      assertEquals(tokens, last.getTokens());
    }
  }

  /** PPO-like: old values refreshed before every step, so the 0.2 clip band does not freeze the fit. */
  @Test
  void fitsFixedReturnsWithARefreshedClipBand() {
    ModelSpec spec = ModelSpec.newBuilder().setLayers(1).setDModel(16).setHeads(2).setDFf(32).setMaxSeqLen(16)
        .build();
    OptimizerSettings adam = OptimizerSettings.newBuilder().setLearningRate(1e-2f).setMaxGradNorm(1f).build();
    List<TokenSequence> rows = List.of(PolicyTrainerTest.seq(new int[] {5, 6}, new int[] {7, 8, 9}),
        PolicyTrainerTest.seq(new int[] {5, 4}, new int[] {9, 2}));
    try (ValueModel critic = new ValueModel(spec, 3, "cpu")) {
      CriticBatch batch = CriticBatch.newBuilder().addAllRollouts(rows)
          .addReturns(floats(1f, 1f, 1f)).addReturns(floats(-1f, -1f))
          .addOldValues(floats(0f, 0f, 0f)).addOldValues(floats(0f, 0f)).setUpdates(1).build();
      double first = critic.trainStep(batch, adam, 1).getValueLoss();
      double last = first;
      for (int i = 0; i < 30; i++) {
        CriticBatch.Builder b = batch.toBuilder().clearOldValues();
        critic.values(rows, 0).forEach(v -> b.addOldValues(floats(v)));
        last = critic.trainStep(b.setValueClip(0.2f).build(), adam, 0).getValueLoss();
      }
      assertEquals(0.5, first, 1e-6); // 0.5 * mean((0 - (+-1))^2): the values start at 0
      assertTrue(last < 0.1 * first, "value loss " + first + " -> " + last);
      assertTrue(critic.values(rows, 0).get(0)[0] > 0.5f);
    }
  }

  /** Token-mean over the whole step: micro-batches of 1, 2 or all rows give the same updates (algorithms.md 0.4). */
  @Test
  void microBatchesGiveTheSameUpdateAsOneBatch() {
    int[] micro = {0, 2, 1};
    double[] losses = new double[micro.length];
    double[] clips = new double[micro.length];
    float[][] weights = new float[micro.length][];
    for (int run = 0; run < micro.length; run++) {
      try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 5, "cpu")) {
        List<TokenSequence> rows = PolicyTrainerTest.rows();
        CriticBatch.Builder b = batch(rows).setValueClip(0.05f).setUpdates(3);
        for (float[] v : critic.values(rows, 0)) {
          b.addOldValues(floats(v));
        }
        TrainStepResponse r = critic.trainStep(b.build(), PolicyTrainerTest.ADAM, micro[run]);
        losses[run] = r.getValueLoss();
        clips[run] = r.getValueClipFraction();
        weights[run] = critic.parameters().get("layers.0.attn.wq").toFloatArray();
      }
    }
    assertTrue(clips[0] > 0, "three updates at lr 3e-3 must move some values past the 0.05 band");
    for (int run = 1; run < micro.length; run++) {
      assertEquals(losses[0], losses[run], 1e-5);
      assertEquals(clips[0], clips[run], 1e-6);
      assertArrayEquals(weights[0], weights[run], 1e-5f);
    }
  }

  /** A resume point's critic: weights, version and AdamW state come back, so training goes on bit for bit. */
  @Test
  void fullCheckpointGoesOnExactlyWhereItStopped(@TempDir Path dir) throws Exception {
    List<TokenSequence> rows = PolicyTrainerTest.rows();
    CriticBatch b = batch(rows).setUpdates(1).build();
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 3, "cpu");
        ValueModel resumed = new ValueModel(PolicyTrainerTest.TINY, 4, "cpu")) {
      for (int i = 0; i < 3; i++) {
        critic.trainStep(b, PolicyTrainerTest.ADAM, 0);
      }
      critic.saveFull(dir);
      assertTrue(java.nio.file.Files.exists(dir.resolve(ValueModel.FULL_WEIGHTS)));
      assertTrue(java.nio.file.Files.exists(dir.resolve(ValueModel.FULL_OPTIMIZER)));
      resumed.loadFull(dir);
      assertEquals(3, resumed.version());
      for (int i = 0; i < 2; i++) {
        assertEquals(critic.trainStep(b, PolicyTrainerTest.ADAM, 0).getValueLoss(),
            resumed.trainStep(b, PolicyTrainerTest.ADAM, 0).getValueLoss(), 0.0);
      }
      Map<String, float[]> expected = snapshot(critic);
      Map<String, float[]> actual = snapshot(resumed);
      for (String name : expected.keySet()) {
        assertArrayEquals(expected.get(name), actual.get(name), 0f, name);
      }
    }
  }

  @Test
  void backboneOnlyLoadTakesThePolicyTransformerAndKeepsTheHead(@TempDir Path dir) throws Exception {
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 1, "cpu");
        PolicyTrainer policy = new PolicyTrainer(PolicyTrainerTest.TINY, 99, "cpu")) {
      critic.loadWeights(withHead(critic, 3, 0.25f)); // a head that is not the initial zeros
      Weights policyWeights = policy.exportWeights();
      Map<String, float[]> before = snapshot(critic);

      // Plain loading needs the value head: it fails and leaves the critic untouched.
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> critic.loadWeights(policyWeights));
      assertTrue(e.getMessage().contains("missing tensor 'value_head.weight'"), e.getMessage());
      assertArrayEquals(before.get("embed.weight"), snapshot(critic).get("embed.weight"), 0f);

      critic.loadWeights(policyWeights, true);
      Map<String, float[]> after = snapshot(critic);
      Map<String, NDArray> policyParams = policy.network().parameters();
      assertEquals(policyParams.size() + 2, after.size());
      for (Map.Entry<String, NDArray> p : policyParams.entrySet()) {
        assertArrayEquals(p.getValue().toFloatArray(), after.get(p.getKey()), 0f, p.getKey());
      }
      assertFalse(java.util.Arrays.equals(before.get("embed.weight"), after.get("embed.weight")));
      assertArrayEquals(before.get("value_head.weight"), after.get("value_head.weight"), 0f);
      assertArrayEquals(before.get("value_head.bias"), after.get("value_head.bias"), 0f);
      assertEquals(0, critic.version());

      // A bad policy tensor is caught before anything is copied.
      Weights broken = policyWeights.toBuilder().setTensors(0, policyWeights.getTensors(0).toBuilder()
          .setTensor(TensorCodec.toProto(critic.manager.create(new float[] {1f})))).build();
      assertThrows(IllegalArgumentException.class, () -> critic.loadWeights(broken, true));
      assertArrayEquals(after.get("layers.0.attn.wq"), snapshot(critic).get("layers.0.attn.wq"), 0f);

      // Full critic weights round-trip through export and a checkpoint.
      List<TokenSequence> rows = PolicyTrainerTest.rows();
      critic.trainStep(batch(rows).build(), PolicyTrainerTest.ADAM, 0);
      List<float[]> expected = critic.values(rows, 0);
      Path file = dir.resolve("critic.safetensors");
      critic.saveCheckpoint(file, Map.of());
      try (ValueModel copy = new ValueModel(PolicyTrainerTest.TINY, 7, "cpu");
          ValueModel fromFile = new ValueModel(PolicyTrainerTest.TINY, 8, "cpu")) {
        copy.loadWeights(critic.exportWeights(), false);
        fromFile.loadCheckpoint(file);
        assertEquals(critic.version(), copy.version());
        for (int i = 0; i < rows.size(); i++) {
          assertArrayEquals(expected.get(i), copy.values(rows, 0).get(i), 0f);
          assertArrayEquals(expected.get(i), fromFile.values(rows, 0).get(i), 0f);
        }
      }
    }
  }

  /** The critic never reads lm_head, and the optimizer leaves it as loaded (no weight decay drift either). */
  @Test
  void trainingLeavesTheUnusedLmHeadAlone() {
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 4, "cpu")) {
      Map<String, float[]> before = snapshot(critic);
      var settings = PolicyTrainerTest.ADAM.toBuilder().setWeightDecay(0.1f).build();
      critic.trainStep(batch(PolicyTrainerTest.rows()).setUpdates(2).build(), settings, 0);
      Map<String, float[]> after = snapshot(critic);
      assertArrayEquals(before.get("lm_head.weight"), after.get("lm_head.weight"), 0f);
      assertArrayEquals(before.get("lm_head.bias"), after.get("lm_head.bias"), 0f);
      assertFalse(java.util.Arrays.equals(before.get("value_head.weight"), after.get("value_head.weight")));
    }
  }

  /** Finite but huge returns overflow the loss: the step is skipped as for the policy, nothing moves. */
  @Test
  void aNonFiniteLossSkipsTheStep() {
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 1, "cpu")) {
      List<TokenSequence> rows = PolicyTrainerTest.rows();
      CriticBatch.Builder b = batch(rows).setUpdates(3);
      b.setReturns(2, floats(1e30f, 1e30f, 1e30f));
      Map<String, float[]> before = snapshot(critic);
      TrainStepResponse r = critic.trainStep(b.build(), PolicyTrainerTest.ADAM, 2);
      assertEquals(3, r.getSkippedUpdates());
      assertTrue(r.getSkipReason().contains("non-finite"), r.getSkipReason());
      assertEquals(0, r.getTokens());
      assertEquals(0, critic.version());
      Map<String, float[]> after = snapshot(critic);
      for (String name : before.keySet()) {
        assertArrayEquals(before.get(name), after.get(name), 0f, name);
      }
      // and the next good batch trains normally from clean gradients
      TrainStepResponse good = critic.trainStep(batch(rows).build(), PolicyTrainerTest.ADAM, 2);
      assertEquals(0, good.getSkippedUpdates());
      assertEquals(1, critic.version());
    }
  }

  @Test
  void badBatchesFailWithClearMessages() {
    try (ValueModel critic = new ValueModel(PolicyTrainerTest.TINY, 1, "cpu")) {
      List<TokenSequence> rows = PolicyTrainerTest.rows(); // row 1 has 2 completion tokens
      CriticBatch good = batch(rows).build();

      CriticBatch shortRow = good.toBuilder().setReturns(1, floats(1f, 2f, 3f)).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> critic.trainStep(shortRow, PolicyTrainerTest.ADAM, 0));
      assertEquals("critic batch row 1: 3 returns for 2 completion tokens", e.getMessage());

      CriticBatch missingRow = good.toBuilder().removeReturns(5).build();
      e = assertThrows(IllegalArgumentException.class, () -> critic.trainStep(missingRow, PolicyTrainerTest.ADAM, 0));
      assertEquals("critic batch has 5 rows of returns for 6 rollouts", e.getMessage());

      CriticBatch clippedWithoutOld = good.toBuilder().setValueClip(0.2f).build();
      e = assertThrows(IllegalArgumentException.class,
          () -> critic.trainStep(clippedWithoutOld, PolicyTrainerTest.ADAM, 0));
      assertEquals("critic batch has 0 rows of old_values for 6 rollouts", e.getMessage());

      CriticBatch nan = good.toBuilder().setReturns(0, floats(Float.NaN)).build();
      e = assertThrows(IllegalArgumentException.class, () -> critic.trainStep(nan, PolicyTrainerTest.ADAM, 0));
      assertEquals("critic batch row 0: returns[0] = NaN; it must be finite", e.getMessage());

      assertEquals(0, critic.version(), "a rejected batch trains nothing");
    }
  }
}
