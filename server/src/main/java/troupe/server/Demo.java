package troupe.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import troupe.actors.NodeConfig;
import troupe.trainers.spec.SpecDefaults;
import troupe.trainers.spec.SpecLimits;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.FlowPretrainConfig;
import troupe.v1.StageSpec;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * `troupe demo`: starts an embedded server, submits the SFT -> RL workflow over gRPC, watches it, then runs the
 * honest control (continue SFT on the same labelled set from the same checkpoint for the same wall time as GRPO)
 * and prints the held-out accuracies. The last line is a JSON summary for scripts.
 */
@Command(name = "demo", description = "Run SFT then GRPO on arithmetic in an embedded server, with an SFT control.")
final class Demo implements Callable<Integer> {
  @Option(names = "--config", description = "workflow file (default: configs/grpo-arith.yaml of the Troupe home)")
  Path config;

  @Option(names = "--seed", description = "override the workflow seed")
  Long seed;

  @Option(names = "--no-control", description = "skip the continued-SFT control run")
  boolean noControl;

  @Option(names = "--data-dir", description = "where workflow folders are written (default ${DEFAULT-VALUE})")
  Path dataDir = Path.of("troupe-data", "demo");

  @Override
  public Integer call() throws Exception {
    // Defaults filled here too (the server fills the same ones), so the report names the seed that ran.
    WorkflowSpec spec = SpecDefaults.apply(WorkflowYaml.parse(Files.readString(config == null ? defaultConfig() : config)));
    if (seed != null) {
      spec = spec.toBuilder().setSeed(seed).build();
    }
    long started = System.nanoTime();
    // The control starts from the checkpoint the first workflow wrote into its folder.
    NodeConfig node = NodeConfig.embedded(dataDir).withWorkflowsAsInputs();
    try (TroupeServer server = TroupeServer.embedded(node);
        TroupeClient client = TroupeClient.of(server)) {
      Outcome outcome = run(client, spec, !noControl);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.println(outcome.report());
      System.out.println(outcome.json(seconds));
      return outcome.rl.code == 0 ? 0 : outcome.rl.code;
    }
  }

  static Path defaultConfig() {
    return Path.of(System.getProperty("troupe.home", ".")).resolve("configs").resolve("grpo-arith.yaml");
  }

  /** The RL run and, optionally, its control. */
  record Outcome(WorkflowSpec spec, Run rl, Run control) {
    String report() {
      StringBuilder b = new StringBuilder();
      boolean image = SpecDefaults.isImageWorkflow(spec);
      String before = image ? "pretraining" : "SFT";
      String after = image ? "Flow-GRPO" : rl.algorithms.getOrDefault(rl.rlStage(), "RL");
      b.append(String.format(Locale.ROOT, "held-out accuracy (seed %d): after %s %.3f -> after %s %.3f "
          + "(best %.3f) in %.0f s of %s", spec.getSeed(), before, rl.accuracyBeforeRl(), after, rl.finalAccuracy(),
          rl.bestRlAccuracy(), rl.rlSeconds(), after));
      if (rl.evals.size() > 2) { // a pipeline: the last held-out accuracy of every stage that measured one
        b.append(String.format(Locale.ROOT, "%nheld-out accuracy by stage:"));
        rl.evals.forEach((stage, evals) -> b.append(String.format(Locale.ROOT, " %s %.3f,",
            rl.algorithms.get(stage), evals.get(evals.size() - 1).getEval().getAccuracy())));
        b.setLength(b.length() - 1);
      }
      if (control != null) {
        b.append(String.format(Locale.ROOT, "%ncontrol, %s continued for the same wall time: %.3f", before,
            control.finalAccuracy()));
      }
      if (!rl.grids.isEmpty()) { // relative to the workflow folder; `troupe artifacts` fetches them remotely
        b.append(String.format(Locale.ROOT, "%nimage grids of workflow %s: first %s, last %s", rl.workflowId,
            rl.grids.get(0), rl.grids.get(rl.grids.size() - 1)));
      }
      return b.toString();
    }

    String json(double seconds) {
      return String.format(Locale.ROOT, "{\"seed\":%d,\"workflow_id\":\"%s\",\"state\":\"%s\",\"sft_accuracy\":%s,"
              + "\"grpo_accuracy\":%s,\"grpo_best_accuracy\":%s,\"control_accuracy\":%s,\"grpo_seconds\":%.1f,"
              + "\"seconds\":%.1f}", spec.getSeed(), rl.workflowId, rl.code == 0 ? "completed" : "not completed",
          number(rl.accuracyBeforeRl()), number(rl.finalAccuracy()), number(rl.bestRlAccuracy()),
          control == null ? "null" : number(control.finalAccuracy()), rl.rlSeconds(), seconds);
    }

    /** JSON has no NaN: an accuracy that was never measured (e.g. a workflow with one stage) is null. */
    private static String number(double value) {
      return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.4f", value);
    }
  }

  static Outcome run(TroupeClient client, WorkflowSpec spec, boolean withControl) {
    Run rl = Run.submit(client, spec);
    Run control = null;
    if (withControl && rl.code == 0 && startCheckpoint(spec, rl) != null) {
      control = Run.submit(client, controlSpec(spec, rl));
    }
    return new Outcome(spec, rl, control);
  }

  /**
   * Same start (the SFT or pretraining checkpoint), same data, same wall time as the RL stage: only the supervised
   * stage continues.
   */
  static WorkflowSpec controlSpec(WorkflowSpec spec, Run rl) {
    WorkflowSpec.Builder control = spec.toBuilder().setName(spec.getName() + "-control").clearStages();
    String start = startCheckpoint(spec, rl);
    float seconds = (float) rl.rlSeconds();
    if (SpecDefaults.isImageWorkflow(spec)) {
      // A workflow that starts from a shipped checkpoint has no pretraining stage: continue with the defaults,
      // which are the settings the shipped checkpoint was trained with (configs/flow-pretrain-shapes.yaml).
      StageSpec pretrain = spec.getStagesList().stream().filter(StageSpec::hasFlowPretrain).findFirst()
          .orElseGet(() -> StageSpec.newBuilder()
              .setFlowPretrain(SpecDefaults.flowPretrain(FlowPretrainConfig.getDefaultInstance())).build());
      control.addStages(pretrain.toBuilder().setName("continued-pretraining").setFlowPretrain(
          pretrain.getFlowPretrain().toBuilder().setSteps(SpecLimits.MAX_STEPS).setMaxSeconds(seconds)));
      return control.setImageModel(spec.getImageModel().toBuilder().setInitCheckpoint(start)).build();
    }
    StageSpec sft = spec.getStagesList().stream().filter(StageSpec::hasSft).findFirst().orElseThrow();
    control.addStages(sft.toBuilder().setName("continued-sft")
        .setSft(sft.getSft().toBuilder().setSteps(SpecLimits.MAX_STEPS).setMaxSeconds(seconds)));
    return control.setModel(spec.getModel().toBuilder().setInitCheckpoint(start)).build();
  }

  /** Where the RL stage started: the last supervised checkpoint of the run, else the spec's init checkpoint. */
  static String startCheckpoint(WorkflowSpec spec, Run rl) {
    if (rl.lastSftCheckpoint != null) {
      return rl.lastSftCheckpoint;
    }
    String init = SpecDefaults.isImageWorkflow(spec) ? spec.getImageModel().getInitCheckpoint()
        : spec.getModel().getInitCheckpoint();
    return init.isEmpty() ? null : init;
  }

  /** One submitted workflow, watched to the end, with what the demo needs from its events. */
  static final class Run {
    /** Stages whose checkpoint the control run continues from. */
    static final List<String> SUPERVISED = List.of("sft", "flow_pretrain");
    String workflowId;
    int code;
    String lastSftCheckpoint;
    String failure;
    final Map<Integer, String> algorithms = new LinkedHashMap<>();
    final Map<Integer, List<WorkflowEvent>> evals = new LinkedHashMap<>();
    final Map<Integer, long[]> stageMillis = new LinkedHashMap<>();
    final List<WorkflowEvent> steps = new ArrayList<>();
    final List<String> grids = new ArrayList<>();

    static Run submit(TroupeClient client, WorkflowSpec spec) {
      Run run = new Run();
      run.workflowId = client.stub().submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpec(spec).build())
          .getWorkflowId();
      System.out.println("submitted " + spec.getName() + " as " + run.workflowId);
      // The server runs in this process: if it is gone, so is the demo; nothing to reconnect to.
      run.code = TroupeCli.follow(client, run.workflowId, java.time.Duration.ZERO, WatchPrinter.forStdout(),
          run::collect);
      return run;
    }

    private void collect(WorkflowEvent e) {
      switch (e.getKindCase()) {
        case STAGE_STARTED -> {
          algorithms.put(e.getStageStarted().getStageIndex(), e.getStageStarted().getAlgorithm());
          stageMillis.put(e.getStageStarted().getStageIndex(), new long[] {e.getUnixMillis(), e.getUnixMillis()});
        }
        case STAGE_FINISHED -> stageMillis.get(e.getStageFinished().getStageIndex())[1] = e.getUnixMillis();
        case EVAL -> evals.computeIfAbsent(e.getEval().getStageIndex(), k -> new ArrayList<>()).add(e);
        case STEP -> steps.add(e);
        case IMAGE_GRID -> grids.add(e.getImageGrid().getPath());
        case FAILED -> failure = e.getFailed().getCause();
        case CHECKPOINT -> {
          if (SUPERVISED.contains(algorithms.get(e.getCheckpoint().getStageIndex()))) {
            lastSftCheckpoint = e.getCheckpoint().getPath();
          }
        }
        default -> { }
      }
    }

    int rlStage() {
      return algorithms.entrySet().stream().filter(a -> !SUPERVISED.contains(a.getValue())).map(Map.Entry::getKey)
          .reduce((a, b) -> b).orElse(-1);
    }

    List<WorkflowEvent> rlEvals() {
      return evals.getOrDefault(rlStage(), List.of());
    }

    /** The evaluations of the RL stage, or of every stage when the run has none (the SFT-only control). */
    List<WorkflowEvent> rlEvalsOrAll() {
      if (rlStage() >= 0) {
        return rlEvals();
      }
      List<WorkflowEvent> all = new ArrayList<>();
      evals.values().forEach(all::addAll);
      return all;
    }

    double accuracyBeforeRl() {
      List<WorkflowEvent> e = rlEvals();
      return e.isEmpty() ? Double.NaN : e.get(0).getEval().getAccuracy();
    }

    double bestRlAccuracy() {
      return rlEvals().stream().mapToDouble(e -> e.getEval().getAccuracy()).max().orElse(Double.NaN);
    }

    double finalAccuracy() {
      List<WorkflowEvent> all = new ArrayList<>();
      evals.values().forEach(all::addAll);
      return all.isEmpty() ? Double.NaN : all.get(all.size() - 1).getEval().getAccuracy();
    }

    double rlSeconds() {
      long[] ms = stageMillis.get(rlStage());
      return ms == null ? 0 : (ms[1] - ms[0]) / 1000.0;
    }
  }
}
