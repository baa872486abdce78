package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.trainers.policy.FullCheckpoint;
import troupe.trainers.policy.ValueModel;
import troupe.v1.StepMetrics;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * The policy and the critic on a second cluster node, which does not write the server's folders: their parts of
 * every resume point still land in the server's workflow folder, match the manifest, and a server restarted on that
 * folder (with a new policy/critic node) goes on from them to the metrics of a run that was never stopped.
 */
class RemoteResumePointTest {
  private static final int STOP_AFTER = 6;

  /** reward_model and ppo both train on the critic worker; ppo also has the policy. */
  private static WorkflowSpec spec(Path dir) throws Exception {
    return ResumeTest.withResumeEvery(Workflows.tiny("stages:\n  - reward_model: {steps: 10, batch_size: 4, "
        + "train_file: \"" + MidStageResumeTest.pairsFile(dir) + "\", output: rm.safetensors}\n  - ppo: {steps: 12, "
        + "prompts_per_step: 2, group_size: 4, max_new_tokens: 6, reward: {kind: model, checkpoint: rm.safetensors}}\n"),
        5);
  }

  /** The server: no policy or critic here. */
  static TroupeNode server(Path dir, String name) {
    return TroupeNode.start(new NodeConfig("127.0.0.1", 0, List.of(),
        EnumSet.of(WorkerRole.REFERENCE, WorkerRole.ROLLOUT, WorkerRole.REWARD), true, dir.resolve(name))
        .withInputDirs(List.of(dir)));
  }

  /** The node with the policy and the critic; its own data folder, so nothing it writes is in the server's. */
  static TroupeNode statefulNode(Path dir, String name, TroupeNode server) {
    return TroupeNode.start(new NodeConfig("127.0.0.1", 0, List.of(server.clusterAddress()),
        EnumSet.of(WorkerRole.POLICY, WorkerRole.CRITIC), false, dir.resolve(name + "-worker")));
  }

  @Test
  @Timeout(400)
  void pointsOfARemotePolicyAndCriticLandOnTheServerAndResume(@TempDir Path dir) throws Exception {
    WorkflowSpec spec = spec(dir);
    List<WorkflowEvent> straight;
    try (TroupeNode server = server(dir, "straight"); TroupeNode worker = statefulNode(dir, "straight", server)) {
      straight = Workflows.run(server, spec, Duration.ofSeconds(180));
    }
    assertTrue(Workflows.last(straight).hasCompleted(), () -> "events: " + straight);

    Path folder;
    try (TroupeNode server = server(dir, "stopped"); TroupeNode worker = statefulNode(dir, "stopped", server)) {
      String id = server.submit(spec).toCompletableFuture().get(10, TimeUnit.SECONDS).getWorkflowId();
      CompletableFuture<Void> reached = new CompletableFuture<>();
      server.watch(id, 0, e -> {
        if (e.hasStep() && e.getStep().getStageIndex() == 1 && e.getStep().getStep() == STOP_AFTER) {
          reached.complete(null);
        }
        return true;
      });
      reached.get(180, TimeUnit.SECONDS);
      server.close(); // first: the workflow stays unfinished, rather than losing its policy node
      folder = dir.resolve("stopped").resolve("workflows").resolve(id);
    }
    Path point = folder.resolve(ResumeTest.newestNamedPoint(folder));
    assertEquals("stage-1-step-5", point.getFileName().toString());
    for (String file : List.of(FullCheckpoint.MODEL, FullCheckpoint.OPTIMIZER, ValueModel.FULL_WEIGHTS,
        ValueModel.FULL_OPTIMIZER)) {
      assertTrue(Files.size(point.resolve(file)) > 0, file);
    }
    assertEquals(5, ResumePoints.verify(point).getStep());
    assertEquals(0, ResumePoints.verify(folder.resolve("resume/stage-1-step-0")).getStep());

    List<WorkflowEvent> resumed;
    try (TroupeNode server = server(dir, "stopped"); TroupeNode worker = statefulNode(dir, "again", server)) {
      resumed = Workflows.watch(server, folder.getFileName().toString(), Duration.ofSeconds(180));
      // The stateful workers count as another node's (the files go over the data plane, not through the disk)...
      assertTrue(server.directory().workers(WorkerRole.POLICY).stream().noneMatch(WorkflowWorkers::inThisJvm));
      // ...and fetched the point's files from the server: model and optimizer of the policy and the critic.
      long pointFiles = 0;
      for (String file : List.of(FullCheckpoint.MODEL, FullCheckpoint.OPTIMIZER, ValueModel.FULL_WEIGHTS,
          ValueModel.FULL_OPTIMIZER)) {
        pointFiles += Files.size(point.resolve(file));
      }
      assertTrue(worker.dataPlane().fetchedBytes() >= pointFiles, worker.dataPlane().fetchedBytes() + " bytes");
    }
    assertTrue(Workflows.last(resumed).hasCompleted(), () -> "events: " + resumed);
    assertTrue(resumed.stream().anyMatch(e -> e.hasNotice()
        && e.getNotice().getText().contains("resuming from resume/stage-1-step-5 ")), () -> "events: " + resumed);
    List<StepMetrics> a = ResumeTest.steps(straight, 1);
    List<StepMetrics> b = ResumeTest.steps(resumed, 1);
    assertEquals(IntStream.rangeClosed(1, 12).boxed().toList(), b.stream().map(StepMetrics::getStep).toList());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).getLoss(), b.get(i).getLoss(), 1e-6, "loss at step " + (i + 1));
      assertEquals(a.get(i).getValueLoss(), b.get(i).getValueLoss(), 1e-6, "value loss at step " + (i + 1));
      assertEquals(a.get(i).getRewardMean(), b.get(i).getRewardMean(), 1e-6, "reward at step " + (i + 1));
      assertEquals(a.get(i).getGradNorm(), b.get(i).getGradNorm(), 1e-6, "grad norm at step " + (i + 1));
    }
  }
}
