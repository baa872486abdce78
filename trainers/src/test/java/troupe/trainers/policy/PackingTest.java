package troupe.trainers.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import troupe.trainers.model.LogProbs;
import troupe.trainers.model.NoGrad;
import troupe.v1.SftBatch;
import troupe.v1.TokenSequence;

/** SFT packing: several examples per row, each attending only to itself, with its own positions. */
class PackingTest {
  private static final int BOS = LanguageModel.TOKENIZER.bos();
  private static final int PAD = LanguageModel.TOKENIZER.pad();

  private static TokenSequence seq(int[] prompt, int[] completion) {
    return PolicyTrainerTest.seq(prompt, completion);
  }

  /** Per-completion-token log-probs of each sequence, from a packed or an unpacked layout. */
  private static List<float[]> logProbs(PolicyTrainer policy, List<TokenSequence> rows, int packLength) {
    return NoGrad.run(() -> {
      try (NDManager scope = NDManager.newBaseManager()) {
        TokenBatch tb = packLength > 0 ? TokenBatch.packed(scope, rows, BOS, PAD, packLength)
            : TokenBatch.of(scope, rows, BOS, PAD);
        NDArray logits = policy.network().forward(tb.inputs, tb.positions, tb.keyMask, null);
        return tb.fromGrid(LogProbs.tokenLogProbs(logits, tb.targets, 1f));
      }
    });
  }

  @Test
  void packedExamplesHaveExactlyTheirOwnLogProbs() {
    List<TokenSequence> rows = List.of(seq(new int[] {11, 12}, new int[] {21, 22, 23}),
        seq(new int[] {13}, new int[] {24}), seq(new int[] {14, 15, 16}, new int[] {25, 26}));
    try (PolicyTrainer policy = new PolicyTrainer(PolicyTrainerTest.TINY, 4, "cpu")) {
      List<float[]> alone = logProbs(policy, rows, 0);
      List<float[]> packed = logProbs(policy, rows, 16); // all three fit one row of 16
      for (int i = 0; i < rows.size(); i++) {
        assertArrayEquals(alone.get(i), packed.get(i), 1e-5f, "sequence " + i);
      }
      // changing the first example changes nothing of the others
      List<TokenSequence> changed = List.of(seq(new int[] {30, 31}, new int[] {40, 41, 42}), rows.get(1), rows.get(2));
      List<float[]> after = logProbs(policy, changed, 16);
      assertArrayEquals(packed.get(1), after.get(1), 0f);
      assertArrayEquals(packed.get(2), after.get(2), 0f);
    }
  }

  @Test
  void packingFillsRowsInOrderAndRejectsWhatCannotFit() {
    List<TokenSequence> rows = List.of(seq(new int[] {11, 12}, new int[] {21, 22}), // 4 columns
        seq(new int[] {13}, new int[] {24, 25}), seq(new int[] {14}, new int[] {26})); // 3 and 2 columns
    try (NDManager m = NDManager.newBaseManager()) {
      TokenBatch tb = TokenBatch.packed(m, rows, BOS, PAD, 7);
      assertEquals(2, tb.inputs.getShape().get(0)); // 4 + 3 in the first row, 2 in the second
      assertEquals(3, tb.rows());
      assertEquals(5, tb.completionTokens());
      assertArrayEquals(new float[] {1, 1, 1, 1, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0}, tb.keyMask.toFloatArray());
      assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 0, 1, 0, 0, 0, 0, 0}, tb.positions.toIntArray());
      assertThrows(IllegalArgumentException.class, () -> TokenBatch.packed(m, rows, BOS, PAD, 3));
    }
  }

  @Test
  void packedSftStepHasTheSameLossAsUnpacked() {
    List<TokenSequence> rows = PolicyTrainerTest.rows();
    try (PolicyTrainer a = new PolicyTrainer(PolicyTrainerTest.TINY, 2, "cpu");
        PolicyTrainer b = new PolicyTrainer(PolicyTrainerTest.TINY, 2, "cpu")) {
      double unpacked = a.sftStep(SftBatch.newBuilder().addAllExamples(rows).build(), PolicyTrainerTest.ADAM, 0)
          .getLoss();
      double packed = b.sftStep(SftBatch.newBuilder().addAllExamples(rows).setPackLength(16).build(),
          PolicyTrainerTest.ADAM, 0).getLoss();
      assertEquals(unpacked, packed, 1e-5);
      assertEquals(a.exportWeights().getTensorsCount(), b.exportWeights().getTensorsCount());
    }
  }
}
