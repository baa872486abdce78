package troupe.trainers.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import troupe.v1.FloatList;
import troupe.v1.GrpoBatch;
import troupe.v1.ModelSpec;
import troupe.v1.OptimizerSettings;
import troupe.v1.SftBatch;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepResponse;

class PolicyTrainerTest {
  static final ModelSpec TINY = ModelSpec.newBuilder().setLayers(1).setDModel(32).setHeads(2).setDFf(64)
      .setMaxSeqLen(16).build();
  static final OptimizerSettings ADAM = OptimizerSettings.newBuilder().setLearningRate(3e-3f).setMaxGradNorm(1f)
      .build();

  static TokenSequence seq(int[] prompt, int[] completion) {
    TokenSequence.Builder b = TokenSequence.newBuilder();
    for (int t : prompt) {
      b.addPrompt(t);
    }
    for (int t : completion) {
      b.addCompletion(t);
    }
    return b.build();
  }

  /** Prompts and completions of different lengths, so padding and per-row offsets matter. */
  static List<TokenSequence> rows() {
    List<TokenSequence> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int[] prompt = new int[2 + i % 3];
      for (int k = 0; k < prompt.length; k++) {
        prompt[k] = 10 + (i * 7 + k * 3) % 60;
      }
      int[] completion = new int[1 + (i * 5) % 4];
      for (int k = 0; k < completion.length; k++) {
        completion[k] = 20 + (i * 11 + k) % 50;
      }
      rows.add(seq(prompt, completion));
    }
    return rows;
  }

  @Test
  void sftLowersTheLossOnItsBatch() {
    try (PolicyTrainer policy = new PolicyTrainer(TINY, 1, "cpu")) {
      SftBatch batch = SftBatch.newBuilder().addAllExamples(rows()).build();
      double first = policy.sftStep(batch, ADAM, 0).getLoss();
      double last = first;
      for (int i = 0; i < 30; i++) {
        last = policy.sftStep(batch, ADAM, 0).getLoss();
      }
      assertTrue(last < 0.5 * first, "loss went from " + first + " to " + last);
      assertEquals(31, policy.version());
    }
  }

  /** The seed fixes initialisation, so two runs of the same steps give bit-identical losses and weights. */
  @Test
  void sameSeedSameTraining() {
    double[][] losses = new double[2][40];
    float[][] weights = new float[2][];
    for (int run = 0; run < 2; run++) {
      try (PolicyTrainer policy = new PolicyTrainer(TINY, 11, "cpu")) {
        SftBatch batch = SftBatch.newBuilder().addAllExamples(rows()).build();
        for (int i = 0; i < 40; i++) {
          losses[run][i] = policy.sftStep(batch, ADAM, 2).getLoss();
          if (i % 10 == 0) {
            System.gc(); // freed native buffers must not leak into later steps (stack.md, scalar operands)
          }
        }
        weights[run] = policy.network().parameters().values().iterator().next().toFloatArray();
      }
    }
    assertArrayEquals(losses[0], losses[1], 0);
    assertArrayEquals(weights[0], weights[1], 0f);
  }

  /** Token-mean over the whole step: micro-batches of 1, 2 or all rows give the same update (algorithms.md 0.4). */
  @Test
  void microBatchesGiveTheSameUpdateAsOneBatch() {
    float[][] results = new float[3][];
    double[] losses = new double[3];
    int[] micro = {0, 2, 1};
    for (int run = 0; run < micro.length; run++) {
      try (PolicyTrainer policy = new PolicyTrainer(TINY, 5, "cpu")) {
        List<TokenSequence> rows = rows();
        GrpoBatch.Builder batch = GrpoBatch.newBuilder().addAllRollouts(rows).setClipLow(0.2f).setClipHigh(0.2f)
            .setKlBeta(0.1f).setLossAgg("token-mean").setUpdates(2).setTemperature(0.9f);
        List<float[]> ref = policy.logProbs(rows, 0.9f, 0);
        for (int i = 0; i < rows.size(); i++) {
          batch.addAdvantages(i % 2 == 0 ? 1f : -0.5f);
          FloatList.Builder f = FloatList.newBuilder();
          for (float v : ref.get(i)) {
            f.addValues(v - 0.05f * (i + 1)); // a reference that differs from the policy, so KL is not zero
          }
          batch.addRefLogProbs(f);
        }
        TrainStepResponse r = policy.rlStep(batch.build(), ADAM, micro[run]);
        losses[run] = r.getLoss();
        assertTrue(r.getKl() > 0, "kl " + r.getKl());
        Map<String, NDArray> params = policy.network().parameters();
        results[run] = params.values().iterator().next().toFloatArray();
      }
    }
    assertEquals(losses[0], losses[1], 1e-5);
    assertEquals(losses[0], losses[2], 1e-5);
    assertArrayEquals(results[0], results[1], 1e-5f);
    assertArrayEquals(results[0], results[2], 1e-5f);
  }

  /** With one update the ratio is exactly 1: nothing is clipped and the loss is the token-mean of -A. */
  @Test
  void singleUpdateIsOnPolicy() {
    try (PolicyTrainer policy = new PolicyTrainer(TINY, 5, "cpu")) {
      List<TokenSequence> rows = rows();
      GrpoBatch.Builder batch = GrpoBatch.newBuilder().addAllRollouts(rows).setClipLow(0.2f).setClipHigh(0.2f)
          .setLossAgg("token-mean").setUpdates(1).setTemperature(1f);
      double weighted = 0;
      int tokens = 0;
      for (int i = 0; i < rows.size(); i++) {
        float a = i % 2 == 0 ? 1f : -0.5f;
        batch.addAdvantages(a);
        weighted += a * rows.get(i).getCompletionCount();
        tokens += rows.get(i).getCompletionCount();
      }
      TrainStepResponse r = policy.rlStep(batch.build(), ADAM, 0);
      assertEquals(-weighted / tokens, r.getLoss(), 1e-6);
      assertEquals(0, r.getClipFraction());
      assertEquals(1, policy.version());
    }
  }

  /** A non-finite loss skips the step: same weights, same version, clean gradients for the next step. */
  @Test
  void nonFiniteLossIsSkippedAndLeavesTheWeightsUntouched() {
    try (PolicyTrainer policy = new PolicyTrainer(TINY, 5, "cpu")) {
      List<TokenSequence> rows = rows();
      GrpoBatch.Builder batch = GrpoBatch.newBuilder().addAllRollouts(rows).setClipLow(0.2f).setClipHigh(0.2f)
          .setLossAgg("token-mean").setUpdates(2).setTemperature(1f);
      for (int i = 0; i < rows.size(); i++) {
        batch.addAdvantages(i == rows.size() - 1 ? Float.NaN : 1f); // the last micro-batch poisons the loss
      }
      var before = policy.exportWeights();
      TrainStepResponse r = policy.rlStep(batch.build(), ADAM, 2);
      assertEquals(2, r.getSkippedUpdates());
      assertTrue(r.getSkipReason().contains("non-finite loss"), r.getSkipReason());
      assertEquals(0, policy.version());
      assertEquals(before, policy.exportWeights());
      // the gradients left by the first micro-batches were cleared: a good step now trains normally
      for (int i = 0; i < rows.size(); i++) {
        batch.setAdvantages(i, 1f);
      }
      TrainStepResponse good = policy.rlStep(batch.setUpdates(1).build(), ADAM, 2);
      assertEquals(0, good.getSkippedUpdates());
      assertTrue(Double.isFinite(good.getGradNorm()) && good.getGradNorm() > 0);
      assertEquals(1, policy.version());
    }
  }

  @Test
  void weightsRoundTripBetweenCopies() {
    try (PolicyTrainer policy = new PolicyTrainer(TINY, 1, "cpu");
        LanguageModel rollout = new LanguageModel(TINY, 99, "cpu")) {
      policy.sftStep(SftBatch.newBuilder().addAllExamples(rows()).build(), ADAM, 0);
      rollout.loadWeights(policy.exportWeights());
      assertEquals(policy.version(), rollout.version());
      List<float[]> a = policy.logProbs(rows(), 1f, 0);
      List<float[]> b = rollout.logProbs(rows(), 1f, 0);
      for (int i = 0; i < a.size(); i++) {
        assertArrayEquals(a.get(i), b.get(i), 0f);
      }
    }
  }
}
