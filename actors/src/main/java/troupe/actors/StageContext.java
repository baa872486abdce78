package troupe.actors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import troupe.diffusion.shapes.ShapesWorld;
import troupe.trainers.model.CharTokenizer;
import troupe.trainers.model.TensorCodec;
import troupe.trainers.policy.FullCheckpoint;
import troupe.trainers.spec.RlPresets;
import troupe.trainers.tasks.Example;
import troupe.trainers.tasks.Task;
import troupe.v1.CheckpointSaved;
import troupe.v1.LoopState;
import troupe.v1.ResumePointSaved;
import troupe.v1.EvalResult;
import troupe.v1.GenerateRequest;
import troupe.v1.ImageSamples;
import troupe.v1.SampleImagesRequest;
import troupe.v1.ScoreImagesRequest;
import troupe.v1.Tensor;
import troupe.v1.RewardSpec;
import troupe.v1.Rollout;
import troupe.v1.Sample;
import troupe.v1.SampleCompletions;
import troupe.v1.SaveCheckpoint;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreRequest;
import troupe.v1.ScoreResponse;
import troupe.v1.StageSpec;
import troupe.v1.TokenSequence;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * What a stage loop needs: the spec, the task, the workers, a way to report events, and the shared pieces every
 * stage uses (sharded generation and scoring, held-out evaluation, checkpoints).
 */
final class StageContext {
  static final CharTokenizer TOKENIZER = CharTokenizer.INSTANCE;

  final WorkflowSpec spec;
  final int stageIndex;
  final StageSpec stage;
  final Path folder;
  final Task task;              // text workflows
  final ShapesWorld world;      // image workflows
  final WorkflowWorkers workers;
  private final Consumer<WorkflowEvent.Builder> events;
  private final AtomicBoolean cancelled;
  private final long startedNanos = System.nanoTime();
  private double elapsedBefore;          // stage seconds spent before a restart
  final ResumePoints resumePoints;
  final ResumePoints.Point resume;      // where this stage goes on after a restart; null on a fresh start
  // Set when a resume point was saved because the node of the policy or critic is leaving: the next step does not
  // start here but on another node from that point (Orchestrator.recover).
  private StatefulWorkerLost moving;

  StageContext(WorkflowSpec spec, int stageIndex, Path folder, Task task, ShapesWorld world, WorkflowWorkers workers,
      Consumer<WorkflowEvent.Builder> events, AtomicBoolean cancelled, ResumePoints.Point resume) {
    this.resumePoints = new ResumePoints(folder);
    this.resume = resume;
    this.spec = spec;
    this.stageIndex = stageIndex;
    this.stage = spec.getStages(stageIndex);
    this.folder = folder;
    this.task = task;
    this.world = world;
    this.workers = workers;
    this.events = events;
    this.cancelled = cancelled;
  }

  void emit(WorkflowEvent.Builder event) {
    events.accept(event);
  }

  void checkCancelled() {
    if (cancelled.get()) {
      throw new StageCancelled("cancelled by request");
    }
    if (workers.stopping()) {
      // The node is going away and steps past its newest resume point would be done again after the restart:
      // the stage ends here, and the workflow stays unfinished until a server starts (Orchestrator.onStageEnded).
      throw new StageCancelled("the server is stopping");
    }
    if (moving != null) {
      throw moving;
    }
  }

  double elapsedSeconds() {
    return elapsedBefore + (System.nanoTime() - startedNanos) / 1e9;
  }

  /** Resume points are written for text and image workflows alike: both policies save their full state. */
  boolean resumable() {
    return spec.getRuntime().getResumeEverySteps() > 0;
  }

  /**
   * Before the stage's loop: on a fresh start, a resume point at step 0 (the policy as the stage begins); after a
   * restart, the policy is put back to the stage's step-0 point, which a loop that resumes mid-stage then moves on
   * from (see {@link #resumeMidStage}).
   */
  void beginStage() {
    if (!resumable()) {
      return;
    }
    if (resume == null) {
      moving = workers.leaving();
      saveResumePoint(LoopState.newBuilder().setStep(0));
    } else {
      restorePolicy(resumePoints.stageStart(stageIndex));
    }
  }

  /** Loads a point's full checkpoint into the policy worker: weights, optimizer state, weight version. */
  private void restorePolicy(Path point) {
    try {
      workers.setPolicyVersion(FullCheckpoints.load(workers, workers.policy(), point,
          List.of(FullCheckpoint.MODEL, FullCheckpoint.OPTIMIZER)));
    } catch (java.io.IOException e) {
      throw new WorkerFailure("cannot restore the policy from " + folder.relativize(point) + ": " + e.getMessage());
    }
  }

  /**
   * Writes a resume point: the policy's full checkpoint and the stage's other parts, then the loop's state and the
   * manifest, then the event that names it. A policy on another node sends its files over the data plane
   * ({@link FullCheckpoints}), so the point always lands in the workflow folder on this node.
   */
  void saveResumePoint(LoopState.Builder loop, ResumePart... parts) {
    int step = loop.getStep();
    long started = System.nanoTime();
    try {
      Path partial = resumePoints.begin(stageIndex, step);
      long version = FullCheckpoints.save(workers, workers.policy(), partial);
      for (ResumePart part : parts) {
        part.save(partial);
      }
      Path done = resumePoints.commit(partial, loop.setStageIndex(stageIndex)
          .setPolicyVersion(version).setElapsedSeconds(elapsedSeconds()).build(),
          spec.getRuntime().getKeepResumePoints());
      emit(WorkflowEvent.newBuilder().setResumePoint(ResumePointSaved.newBuilder().setStageIndex(stageIndex)
          .setStep(step).setPath(folder.relativize(done).toString()).setBytes(ResumePoints.bytes(done))
          .setSeconds((System.nanoTime() - started) / 1e9)));
    } catch (java.io.IOException e) {
      throw new WorkerFailure("cannot write the resume point of stage " + stageIndex + " step " + step + ": "
          + e.getMessage());
    }
  }

  /**
   * No point is due after a stage's last step: the next stage's start point follows, or the workflow ends. Once the
   * node of the policy or critic is leaving, one is due at once, and the next {@link #checkCancelled} moves the
   * workflow on from it. A caller saves the point when this returns true.
   */
  boolean resumePointDue(int step, int totalSteps) {
    if (!resumable() || step >= totalSteps) {
      return false;
    }
    if (moving == null) {
      moving = workers.leaving();
    }
    return moving != null || step % spec.getRuntime().getResumeEverySteps() == 0;
  }

  /** True when this stage goes on from a point past its start, whose parts replace what the stage makes first. */
  boolean resumesMidStage() {
    return resume != null && resume.loop().getStep() > 0;
  }

  /**
   * After a restart into the middle of this stage: puts the policy and the stage's other parts back as the point
   * has them, restores the stage's elapsed time, and returns the loop's state to go on from (at step + 1). Null
   * when the stage runs from its start. Call it once whatever the stage makes from its start (a reference, a critic)
   * exists, since beginStage left the policy as the stage began.
   */
  LoopState resumeMidStage(ResumePart... parts) {
    if (!resumesMidStage()) {
      return null;
    }
    restorePolicy(resume.folder());
    try {
      for (ResumePart part : parts) {
        part.restore(resume.folder());
      }
    } catch (java.io.IOException e) {
      throw new WorkerFailure("cannot restore " + folder.relativize(resume.folder()) + ": " + e.getMessage());
    }
    elapsedBefore = resume.loop().getElapsedSeconds(); // the time spent before the restart counts for max_seconds
    return resume.loop();
  }

  /** True once a stage's optional wall-time budget is used up. */
  boolean outOfTime(float maxSeconds) {
    return maxSeconds > 0 && elapsedSeconds() >= maxSeconds;
  }

  static TokenSequence prompt(String text) {
    TokenSequence.Builder b = TokenSequence.newBuilder();
    for (int t : TOKENIZER.encode(text)) {
      b.addPrompt(t);
    }
    return b.build();
  }

  /**
   * Samples {@code request.samples_per_prompt} completions per prompt; prompts are sharded over the rollout
   * workers (a prompt's group stays on one worker), and a shard's seed depends only on its first prompt.
   */
  List<Rollout> generate(List<TokenSequence> prompts, GenerateRequest.Builder request) {
    int g = Math.max(1, request.getSamplesPerPrompt());
    List<ShardedCall.Done> shards = sharded(WorkerRole.ROLLOUT).run(workers.rolloutsAtPolicyVersion(),
        prompts.size(), g, (from, to) -> workers.request().setGenerate(request.clone().clearPrompts()
            .addAllPrompts(prompts.subList(from, to)).setSeed(request.getSeed() * 1_000_003L + from)
            .setExpectVersion(workers.policyVersion())).build(),
        r -> r.getGenerated().getRolloutsCount());
    List<Rollout> out = new ArrayList<>(prompts.size() * g);
    for (ShardedCall.Done shard : shards) {
      for (Rollout r : shard.response().getGenerated().getRolloutsList()) {
        out.add(r.toBuilder().setPromptIndex(r.getPromptIndex() + shard.from()).build());
      }
    }
    return out;
  }

  private ShardedCall sharded(WorkerRole role) {
    return new ShardedCall(workers, role, workers.shardStats);
  }

  /** Scores items with the stage's reward, sharded over the reward workers. */
  ScoreResponse score(List<ScoreItem> items) {
    ScoreResponse.Builder all = ScoreResponse.newBuilder();
    for (ShardedCall.Done shard : sharded(WorkerRole.REWARD).run(workers.rewards(), items.size(), 1,
        (from, to) -> workers.request().setScore(scoreRequest().addAllItems(items.subList(from, to))).build(),
        r -> r.getScores().getRewardsCount())) {
      all.addAllRewards(shard.response().getScores().getRewardsList())
          .addAllCorrect(shard.response().getScores().getCorrectList());
    }
    return all.build();
  }

  /**
   * The reward this stage scores with: its own (an RL stage's {@code reward}) or the workflow's. A reward model
   * travels as its architecture and the absolute path of its checkpoint, which an earlier stage wrote into the
   * workflow folder.
   */
  ScoreRequest.Builder scoreRequest() {
    RewardSpec reward = RlPresets.isRl(stage) && RlPresets.config(stage).hasReward()
        ? RlPresets.config(stage).getReward() : spec.getReward();
    ScoreRequest.Builder b = ScoreRequest.newBuilder().setReward(reward);
    if (reward.getKind().equals("model")) {
      b.setModel(spec.getModel()).setCheckpointPath(folder.resolve(reward.getCheckpoint()).toAbsolutePath()
          .toString());
    }
    return b;
  }

  /** Each element repeated n times in a row: the per-sample prompts of G samples per prompt. */
  static List<String> repeatEach(List<String> items, int n) {
    List<String> out = new ArrayList<>(items.size() * n);
    for (String item : items) {
      for (int i = 0; i < n; i++) {
        out.add(item);
      }
    }
    return out;
  }

  /**
   * Samples images for the prompts, sharded over the rollout workers with each prompt's group kept on one worker;
   * the workers' tensors are joined back in prompt order.
   */
  ImageSamples sampleImages(List<String> prompts, SampleImagesRequest.Builder request) {
    List<ImageSamples> parts = new ArrayList<>();
    for (ShardedCall.Done shard : sharded(WorkerRole.ROLLOUT).run(workers.rolloutsAtPolicyVersion(),
        prompts.size(), Math.max(1, request.getSamplesPerPrompt()),
        (from, to) -> workers.request().setSampleImages(request.clone().clearPrompts()
            .addAllPrompts(prompts.subList(from, to)).setSeed(request.getSeed() * 1_000_003L + from)
            .setExpectVersion(workers.policyVersion())).build(),
        r -> (int) r.getImages().getImages().getShape(0))) {
      parts.add(shard.response().getImages());
    }
    ImageSamples.Builder all = parts.get(0).toBuilder()
        .setImages(TensorCodec.concatRows(parts.stream().map(ImageSamples::getImages).toList()));
    if (request.getKeepTrajectory()) {
      all.setLatents(TensorCodec.concatRows(parts.stream().map(ImageSamples::getLatents).toList()));
      if (request.getNoiseLevel() > 0) {
        all.setLogProbs(TensorCodec.concatRows(parts.stream().map(ImageSamples::getLogProbs).toList()));
      }
    }
    return all.build();
  }

  /** Scores images (one prompt per image) with the workflow's image reward, sharded over the reward workers. */
  ScoreResponse scoreImages(List<String> prompts, Tensor images) {
    ScoreResponse.Builder all = ScoreResponse.newBuilder();
    for (ShardedCall.Done shard : sharded(WorkerRole.REWARD).run(workers.rewards(), prompts.size(), 1,
        (from, to) -> workers.request().setScoreImages(ScoreImagesRequest.newBuilder()
            .addAllPrompts(prompts.subList(from, to)).setImages(TensorCodec.sliceRows(images, from, to))
            .setReward(spec.getImageReward())).build(),
        r -> r.getScores().getDetailsCount() == r.getScores().getRewardsCount()
            ? r.getScores().getRewardsCount() : -1)) {
      all.addAllRewards(shard.response().getScores().getRewardsList())
          .addAllCorrect(shard.response().getScores().getCorrectList())
          .addAllDetails(shard.response().getScores().getDetailsList());
    }
    return all.build();
  }

  /** Greedy decoding on every held-out prompt; emits the accuracy and a few samples, and returns the accuracy. */
  double evaluate(int step) {
    return evaluate(step, java.util.Map.of());
  }

  /** The same, with further metrics (e.g. pass@k of an eval stage) in the same event. */
  double evaluate(int step, java.util.Map<String, Double> metrics) {
    checkCancelled();
    List<Example> heldOut = task.heldOut();
    List<TokenSequence> prompts = heldOut.stream().map(e -> prompt(e.prompt())).toList();
    List<Rollout> outputs = generate(prompts, GenerateRequest.newBuilder().setSamplesPerPrompt(1).setGreedy(true)
        .setTemperature(1f).setTopP(1f).setMaxNewTokens(task.maxAnswerLength() + 1));
    List<ScoreItem> items = new ArrayList<>();
    for (int i = 0; i < heldOut.size(); i++) {
      items.add(ScoreItem.newBuilder().setPrompt(heldOut.get(i).prompt())
          .setCompletion(outputs.get(i).getCompletionText()).setAnswer(heldOut.get(i).answer()).build());
    }
    ScoreResponse scores = score(items);
    long correct = scores.getCorrectList().stream().filter(c -> c).count();
    double accuracy = (double) correct / heldOut.size();
    emit(WorkflowEvent.newBuilder().setEval(EvalResult.newBuilder().setStageIndex(stageIndex)
        .setStage(stage.getName()).setStep(step).setAccuracy(accuracy).setPrompts(heldOut.size())
        .putAllMetrics(metrics).setElapsedSeconds(elapsedSeconds())));
    SampleCompletions.Builder samples = SampleCompletions.newBuilder().setStageIndex(stageIndex).setStep(step);
    for (int i = 0; i < Math.min(spec.getEval().getSamplesShown(), items.size()); i++) {
      samples.addSamples(Sample.newBuilder().setPrompt(items.get(i).getPrompt())
          .setCompletion(items.get(i).getCompletion()).setAnswer(items.get(i).getAnswer())
          .setReward(scores.getRewards(i)));
    }
    if (samples.getSamplesCount() > 0) {
      emit(WorkflowEvent.newBuilder().setSamples(samples));
    }
    return accuracy;
  }

  /**
   * Asks the policy to write its weights as safetensors under the workflow folder. A policy on another node
   * publishes the file on its data plane instead, and this node fetches it and writes it (temporary file, then
   * rename), so checkpoints always land in the workflow folder on the server.
   */
  void checkpoint(int step) {
    Path file = folder.resolve("checkpoints").resolve("stage-" + stageIndex + "-step-" + step + ".safetensors");
    long version;
    if (WorkflowWorkers.inThisJvm(workers.policy())) {
      version = workers.client.ask(workers.policy(), workers.request().setSaveCheckpoint(SaveCheckpoint.newBuilder()
          .setPath(file.toAbsolutePath().toString())).build()).getAck().getPolicyVersion();
    } else {
      var blob = workers.client.ask(workers.policy(), workers.request().setSaveCheckpoint(
          SaveCheckpoint.newBuilder().setPublish(true)).build()).getBlob();
      try {
        java.nio.file.Files.createDirectories(file.getParent());
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        java.nio.file.Files.write(partial, workers.dataPlane.fetch(blob));
        java.nio.file.Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (java.io.IOException e) {
        throw new WorkerFailure("cannot store the checkpoint " + file + " from the policy's node: " + e.getMessage());
      }
      version = blob.getVersion();
    }
    emit(WorkflowEvent.newBuilder().setCheckpoint(CheckpointSaved.newBuilder().setStageIndex(stageIndex)
        .setStep(step).setPath(file.toString()).setPolicyVersion(version)));
  }

  boolean checkpointDue(int step) {
    int every = spec.getRuntime().getCheckpointEverySteps();
    return every > 0 && step % every == 0;
  }

  boolean evalDue(int step, int totalSteps) {
    return evalDue(step, totalSteps, 0);
  }

  /** stageEvery overrides eval.every_steps for one stage when it is above 0. */
  boolean evalDue(int step, int totalSteps, int stageEvery) {
    int every = stageEvery > 0 ? stageEvery : spec.getEval().getEverySteps();
    return step % every == 0 || step == totalSteps;
  }
}
