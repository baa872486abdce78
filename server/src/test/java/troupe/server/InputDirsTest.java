package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import troupe.actors.NodeConfig;
import troupe.v1.CancelWorkflowRequest;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WorkflowServiceGrpc;

/**
 * A server reads the files a spec names only from its input folders: the Troupe home, DATA_DIR/inputs (made on
 * start) and the --input-dir folders (also `input_dirs` in --node-config). Anything else is INVALID_ARGUMENT
 * naming the field and listing the folders.
 */
class InputDirsTest {
  private static final String SFT_FROM = GrpcApiTest.TINY + "stages: [{sft: {steps: 1, train_file: \"%s\"}}]\n";

  @Test
  void filesInTheInputFoldersAreAcceptedAndOthersRefused(@TempDir Path dir) throws Exception {
    Path extra = Files.createDirectories(dir.resolve("datasets"));
    Files.writeString(extra.resolve("sft.jsonl"), "{\"prompt\": \"12=\", \"completion\": \"21\"}\n");
    Files.writeString(dir.resolve("secret.jsonl"), "{\"prompt\": \"12=\", \"completion\": \"21\"}\n");
    NodeConfig config = new NodeConfig("127.0.0.1", 0, List.of(), Set.of(), true, dir.resolve("data"))
        .withInputDirs(List.of(extra));
    try (TroupeServer server = TroupeServer.inProcess(config, "input-dirs");
        Channel channel = new Channel(InProcessChannelBuilder.forName("input-dirs").build())) {
      var api = WorkflowServiceGrpc.newBlockingStub(channel.channel);
      Path inputs = config.inputsDir();
      assertTrue(Files.isDirectory(inputs), "DATA_DIR/inputs is made on start");
      Files.copy(extra.resolve("sft.jsonl"), inputs.resolve("mine.jsonl"));

      for (Path ok : List.of(extra.resolve("sft.jsonl"), inputs.resolve("mine.jsonl"))) {
        String id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder()
            .setSpecYaml(String.format(SFT_FROM, ok)).build()).getWorkflowId();
        api.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
      }

      for (String bad : List.of(dir.resolve("secret.jsonl").toString(), "/etc/passwd", extra + "/../secret.jsonl",
          "../../etc/passwd")) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> api.submitWorkflow(
            SubmitWorkflowRequest.newBuilder().setSpecYaml(String.format(SFT_FROM, bad)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        String m = e.getStatus().getDescription();
        assertTrue(m.contains("stages[0].sft.train_file: \"") && m.contains("\" is outside the folders the server "
            + "reads input files from (") && m.contains(inputs.toAbsolutePath().toString())
            && m.contains(extra.toString()) && m.contains("--input-dir"), m);
      }
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> api.submitWorkflow(
          SubmitWorkflowRequest.newBuilder().setSpecYaml(String.format(SFT_FROM, "a\\0b")).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("stages[0].sft.train_file: not a valid path"),
          e.getStatus().getDescription());
    }
  }

  /** As when a server runs from its Troupe home with the default data folder inside it. */
  @Test
  void theDataFolderStaysPrivateInsideAnInputFolder(@TempDir Path dir) throws Exception {
    NodeConfig config = new NodeConfig("127.0.0.1", 0, List.of(), Set.of(), true, dir.resolve("data"))
        .withInputDirs(List.of(dir));
    try (TroupeServer server = TroupeServer.inProcess(config, "private-data");
        Channel channel = new Channel(InProcessChannelBuilder.forName("private-data").build())) {
      var api = WorkflowServiceGrpc.newBlockingStub(channel.channel);
      String line = "{\"prompt\": \"12=\", \"completion\": \"21\"}\n";
      Path token = Files.createDirectories(dir.resolve("data").resolve("auth")).resolve("token");
      Files.writeString(token, line);
      Files.writeString(config.inputsDir().resolve("mine.jsonl"), line);
      Files.writeString(dir.resolve("next-to-data.jsonl"), line);
      for (Path ok : List.of(config.inputsDir().resolve("mine.jsonl"), dir.resolve("next-to-data.jsonl"))) {
        String id = api.submitWorkflow(SubmitWorkflowRequest.newBuilder()
            .setSpecYaml(String.format(SFT_FROM, ok)).build()).getWorkflowId();
        api.cancelWorkflow(CancelWorkflowRequest.newBuilder().setWorkflowId(id).build());
      }
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> api.submitWorkflow(
          SubmitWorkflowRequest.newBuilder().setSpecYaml(String.format(SFT_FROM, token)).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("token\" is in a folder the server keeps private"),
          e.getStatus().getDescription());
    }
  }

  @Test
  void inputDirsComeFromTheFlagOrTheNodeConfigFile(@TempDir Path dir) throws Exception {
    Path fromFile = Files.createDirectories(dir.resolve("from-file"));
    Path fromFlag = Files.createDirectories(dir.resolve("from-flag"));
    Path nodeConfig = dir.resolve("node.yaml");
    Files.writeString(nodeConfig, "input_dirs: [" + fromFile + "]\n");
    List<String> base = List.of("server", "--data-dir", dir.resolve("data").toString(), "--port", "0",
        "--cluster-port", "0", "--roles", "none", "--insecure-cluster", "--node-config", nodeConfig.toString());
    try (TroupeServer server = server(base).open()) {
      assertTrue(server.node().inputs().folders().contains(fromFile), server.node().inputs().folders().toString());
    }
    List<String> flagged = new java.util.ArrayList<>(base);
    flagged.addAll(List.of("--input-dir", fromFlag.toString()));
    try (TroupeServer server = server(flagged).open()) {
      List<Path> folders = server.node().inputs().folders();
      assertTrue(folders.contains(fromFlag) && !folders.contains(fromFile), folders.toString());
      assertTrue(folders.contains(dir.resolve("data").resolve("inputs").toAbsolutePath()), folders.toString());
    }
    List<String> missing = new java.util.ArrayList<>(base);
    missing.addAll(List.of("--input-dir", dir.resolve("nope").toString()));
    var e = assertThrows(CommandLine.ParameterException.class, () -> server(missing).open());
    assertTrue(e.getMessage().contains("--input-dir " + dir.resolve("nope") + " is not a folder"), e.getMessage());
  }

  private static TroupeCli.Server server(List<String> args) {
    CommandLine.ParseResult parsed = new CommandLine(new TroupeCli()).parseArgs(args.toArray(String[]::new));
    return (TroupeCli.Server) parsed.subcommand().commandSpec().userObject();
  }

  /** Shuts the channel down with the try block. */
  private record Channel(ManagedChannel channel) implements AutoCloseable {
    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
