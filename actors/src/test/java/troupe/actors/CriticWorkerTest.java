package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.CriticBatch;
import troupe.v1.ExportWeights;
import troupe.v1.FloatList;
import troupe.v1.GrpoBatch;
import troupe.v1.NamedTensor;
import troupe.v1.OptimizerSettings;
import troupe.v1.TokenSequence;
import troupe.v1.TrainStepRequest;
import troupe.v1.TrainStepResponse;
import troupe.v1.Values;
import troupe.v1.ValuesRequest;
import troupe.v1.Weights;

/** A real critic worker behind the actor protocol: init from the policy's backbone, values, one train step. */
class CriticWorkerTest {
  private static final OptimizerSettings ADAM = OptimizerSettings.newBuilder().setLearningRate(3e-3f)
      .setMaxGradNorm(1f).build();

  static TokenSequence seq(List<Integer> prompt, List<Integer> completion) {
    return TokenSequence.newBuilder().addAllPrompt(prompt).addAllCompletion(completion).build();
  }

  static NamedTensor tensor(Weights w, String name) {
    return w.getTensorsList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void valuesAndATrainStepThroughTheActorProtocol(@TempDir Path dir) throws Exception {
    NodeConfig config = new NodeConfig("127.0.0.1", 0, List.of(), EnumSet.of(WorkerRole.POLICY, WorkerRole.CRITIC),
        false, dir);
    try (TroupeNode node = TroupeNode.start(config)) {
      WorkflowWorkers workers = new WorkflowWorkers("critic-test", Workflows.tiny("""
          stages:
            - sft: {steps: 1, batch_size: 4}
          """), node.directory(), node.dataPlane(), node.system(), () -> false, text -> { });
      assertThrows(WorkerFailure.class, workers::critic);
      workers.policy();
      Weights policyWeights = workers.exportPolicy();
      ActorRef<WorkerAsk> critic = workers.critic(policyWeights);
      assertSame(critic, workers.critic());

      // The critic's transformer is the policy's; it has a value head on top.
      Weights criticWeights = workers.client.ask(critic,
          workers.request().setExportWeights(ExportWeights.getDefaultInstance()).build()).getWeights();
      assertEquals(policyWeights.getTensorsCount() + 2, criticWeights.getTensorsCount());
      assertEquals(tensor(policyWeights, "embed.weight"), tensor(criticWeights, "embed.weight"));
      assertTrue(criticWeights.getTensorsList().stream().anyMatch(t -> t.getName().equals("value_head.weight")));

      List<TokenSequence> rows = List.of(seq(List.of(10, 11, 12), List.of(20, 21, 22)),
          seq(List.of(13), List.of(30)), seq(List.of(14, 15), List.of(31, 32)));
      Values values = workers.client.ask(critic,
          workers.request().setValues(ValuesRequest.newBuilder().addAllSequences(rows)).build()).getValues();
      assertEquals(rows.size(), values.getValuesCount());
      CriticBatch.Builder batch = CriticBatch.newBuilder().addAllRollouts(rows).setValueClip(0.2f).setUpdates(2);
      for (int i = 0; i < rows.size(); i++) {
        assertEquals(rows.get(i).getCompletionCount(), values.getValues(i).getValuesCount(), "row " + i);
        FloatList.Builder returns = FloatList.newBuilder();
        for (int k = 0; k < rows.get(i).getCompletionCount(); k++) {
          returns.addValues(1f);
        }
        batch.addReturns(returns).addOldValues(values.getValues(i));
      }

      TrainStepResponse trained = workers.client.ask(critic, workers.request().setTrainStep(
          TrainStepRequest.newBuilder().setOptimizer(ADAM).setMicroBatchSize(2).setCritic(batch)).build())
          .getTrained();
      assertEquals(1, trained.getPolicyVersion());
      assertTrue(trained.getValueLoss() > 0.1, "values start at 0 and returns are 1: " + trained);
      assertTrue(trained.getGradNorm() > 0, trained.toString());
      assertEquals(2 * 6, trained.getTokens());
      Values after = workers.client.ask(critic,
          workers.request().setValues(ValuesRequest.newBuilder().addAllSequences(rows)).build()).getValues();
      assertNotEquals(values, after);

      // A policy batch sent to the critic is refused with a message that names the worker and the mistake.
      WorkerFailure wrong = assertThrows(WorkerFailure.class, () -> workers.client.ask(critic,
          workers.request().setTrainStep(TrainStepRequest.newBuilder().setOptimizer(ADAM)
              .setGrpo(GrpoBatch.getDefaultInstance())).build()));
      assertTrue(wrong.getMessage().contains("/user/critic-0 reported: train_step: a critic worker trains on a "
          + "critic or a preference batch, got grpo"), wrong.getMessage());

      // Asking again (the next stage) keeps the worker but starts a fresh critic: zero head, version 0.
      assertSame(critic, workers.critic(null));
      Values fresh = workers.client.ask(critic,
          workers.request().setValues(ValuesRequest.newBuilder().addAllSequences(rows)).build()).getValues();
      for (int i = 0; i < rows.size(); i++) {
        for (float v : fresh.getValues(i).getValuesList()) {
          assertEquals(0f, v);
        }
      }
      workers.release();
    }
  }
}
