package troupe.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import troupe.actors.NodeConfig;
import troupe.trainers.spec.RlPresets;
import troupe.trainers.spec.SpecDefaults;
import troupe.trainers.spec.SpecLimits;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/**
 * `troupe compare`: every RL preset on the same task, seed and wall-time budget, from one shared SFT start. The SFT
 * stage of the first config runs once; each preset then starts from its checkpoint and runs only its RL stage until
 * the budget is spent. Writes results.md, results.json and accuracy-vs-time.png.
 */
@Command(name = "compare", description = "Compare RL presets from one SFT start with the same wall-time budget.")
final class Compare implements Callable<Integer> {
  @Parameters(description = "workflow files with one RL stage each (default: configs/*-arith.yaml)")
  List<Path> configs = new ArrayList<>();

  @Option(names = "--seconds", description = "wall-time budget of each RL stage (default ${DEFAULT-VALUE})")
  float seconds = 120;

  @Option(names = "--seed", description = "override the workflows' seed")
  Long seed;

  @Option(names = "--out", description = "where results go (default: compare-<time> under the data dir)")
  Path out;

  @Option(names = "--data-dir", description = "where workflow folders are written (default ${DEFAULT-VALUE})")
  Path dataDir = Path.of("troupe-data", "compare");

  @Override
  public Integer call() throws Exception {
    if (!(seconds > 0)) {
      throw new IllegalArgumentException("--seconds must be > 0, got " + seconds);
    }
    List<Path> files = configs.isEmpty() ? defaultConfigs() : configs;
    List<WorkflowSpec> specs = new ArrayList<>();
    for (Path f : files) {
      WorkflowSpec spec = load(f);
      if (!specs.isEmpty() && (!spec.getModel().equals(specs.get(0).getModel())
          || !spec.getTask().equals(specs.get(0).getTask()))) {
        throw new IllegalArgumentException(f + " has another model or task than " + files.get(0)
            + "; presets compared from one SFT start must share both");
      }
      specs.add(spec);
    }
    Path folder = out != null ? out : dataDir.resolve("compare-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    // Every preset starts from the checkpoint the shared SFT workflow wrote into its folder.
    NodeConfig node = NodeConfig.embedded(dataDir).withWorkflowsAsInputs();
    try (TroupeServer server = TroupeServer.embedded(node);
        TroupeClient client = TroupeClient.of(server)) {
      WorkflowSpec first = specs.get(0);
      WorkflowSpec sft = first.toBuilder().setName(first.getName() + "-shared-sft").clearStages()
          .addAllStages(first.getStagesList().stream().filter(s -> !RlPresets.isRl(s)).toList()).build();
      Demo.Run start = Demo.Run.submit(client, sft);
      if (start.code != 0 || start.lastSftCheckpoint == null) {
        throw new IllegalStateException("the shared SFT workflow " + start.workflowId + " did not complete with a "
            + "checkpoint");
      }
      List<ComparisonTable.Row> rows = new ArrayList<>();
      for (WorkflowSpec spec : specs) {
        Demo.Run run = Demo.Run.submit(client, rlOnly(spec, start.lastSftCheckpoint));
        rows.add(row(spec, run));
      }
      ComparisonTable table = new ComparisonTable(rows, seconds, first.getSeed());
      Files.createDirectories(folder);
      Files.writeString(folder.resolve("results.md"), table.markdown());
      Files.writeString(folder.resolve("results.json"), table.json());
      LinePlot.write(folder.resolve("accuracy-vs-time.png"), table.plot());
      System.out.println(table.markdown());
      System.out.println("results in " + folder.toAbsolutePath());
      return 0;
    }
  }

  /** Every configs/*-arith.yaml of the Troupe home whose RL stage is a preset. */
  static List<Path> defaultConfigs() throws Exception {
    Path dir = Path.of(System.getProperty("troupe.home", ".")).resolve("configs");
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith("-arith.yaml")).sorted().toList();
    }
  }

  private WorkflowSpec load(Path file) throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no such workflow file: " + file);
    }
    WorkflowSpec spec = SpecDefaults.apply(WorkflowYaml.parse(Files.readString(file)));
    long rl = spec.getStagesList().stream().filter(RlPresets::isRl).count();
    if (rl != 1) {
      throw new IllegalArgumentException(file + " has " + rl + " RL stages; compare needs exactly one (one of "
          + String.join(", ", RlPresets.NAMES) + ")");
    }
    return seed == null ? spec : spec.toBuilder().setSeed(seed).build();
  }

  /** Only the RL stage, from the shared SFT checkpoint, until the budget is spent. */
  private WorkflowSpec rlOnly(WorkflowSpec spec, String checkpoint) {
    StageSpec stage = spec.getStagesList().stream().filter(RlPresets::isRl).findFirst().orElseThrow();
    var config = RlPresets.config(stage).toBuilder().setSteps(SpecLimits.MAX_STEPS).setMaxSeconds(seconds).build();
    StageSpec.Builder only = RlPresets.withConfig(stage.toBuilder(), config);
    return spec.toBuilder().clearStages().addStages(only)
        .setModel(spec.getModel().toBuilder().setInitCheckpoint(checkpoint)).build();
  }

  private static ComparisonTable.Row row(WorkflowSpec spec, Demo.Run run) {
    List<double[]> curve = new ArrayList<>(); // (seconds, accuracy)
    for (WorkflowEvent e : run.rlEvals()) {
      curve.add(new double[] {e.getEval().getElapsedSeconds(), e.getEval().getAccuracy()});
    }
    double stepSeconds = 0;
    double tokensPerSecond = 0;
    for (WorkflowEvent e : run.steps) {
      stepSeconds += e.getStep().getSeconds();
      tokensPerSecond += e.getStep().getTokensPerSecond();
    }
    int steps = run.steps.size();
    String preset = RlPresets.algorithm(spec.getStagesList().stream().filter(RlPresets::isRl).findFirst()
        .orElseThrow());
    return new ComparisonTable.Row(preset, run.workflowId, run.code == 0 ? "completed" : "failed: " + run.failure, steps,
        steps == 0 ? 0 : stepSeconds / steps, steps == 0 ? 0 : tokensPerSecond / steps, curve);
  }
}
