package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static troupe.trainers.spec.SpecProblems.assertContains;
import static troupe.trainers.spec.SpecProblems.message;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.ModelSpec;
import troupe.v1.StageSpec;
import troupe.v1.WorkflowSpec;

/**
 * Files named by a spec are read with the server's rights, so they must lie in an input folder (InputRoots): the
 * Troupe home, DATA_DIR/inputs or an --input-dir. Paths are judged after normalizing and resolving links, before
 * anything says whether they exist; a path that is not a path at all is reported, never thrown.
 */
class InputFilesTest {
  @TempDir Path dir;
  Path root;
  Path outside;
  InputRoots roots;

  @BeforeEach
  void files() throws Exception {
    root = Files.createDirectories(dir.resolve("inputs"));
    Files.createDirectories(root.resolve("sub"));
    outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(root.resolve("sft.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
    Files.writeString(outside.resolve("secret.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
    roots = InputRoots.of(List.of(root));
  }

  @Test
  void aFileInsideAnInputFolderIsAccepted() {
    String file = root.resolve("sft.jsonl").toString();
    WorkflowSpec spec = SpecValidator.resolve(sft(file), roots);
    assertEquals(file, spec.getStages(0).getSft().getTrainFile());
    // the same file by a path that wanders but stays inside
    SpecValidator.resolve(sft(root + "/sub/../sft.jsonl"), roots);
  }

  @Test
  void anAbsolutePathOutsideIsRefusedWithoutSayingWhetherItExists() {
    String existing = problems(sft("/etc/passwd"));
    assertContains(existing, "stages[0].sft.train_file: \"/etc/passwd\" is outside the folders the server reads "
        + "input files from (" + root + "); put the file in one of them, or start the server with --input-dir");
    String missing = problems(sft("/etc/no-such-file"));
    assertContains(missing, "\"/etc/no-such-file\" is outside the folders");
    assertFalse(missing.contains("no such file on the server"), missing);
  }

  @Test
  void climbingOutWithDotsIsRefused() {
    // relative: under the Troupe home, or without one the working directory; named as resolved
    String resolved = Path.of("").toAbsolutePath().resolve("../../etc/passwd").normalize().toString();
    assertContains(problems(sft("../../etc/passwd")),
        "stages[0].sft.train_file: \"" + resolved + "\" is outside the folders");
    // relative to an input folder that is the working directory's parent: still climbs out
    InputRoots cwd = InputRoots.of(List.of(Path.of("").toAbsolutePath()));
    assertContains(message(sft("../../etc/passwd"), cwd), "is outside the folders");
    assertContains(problems(sft(root + "/../outside/secret.jsonl")), "is outside the folders");
  }

  @Test
  void aSymbolicLinkInsideThatLeadsOutIsRefused() throws Exception {
    Files.createSymbolicLink(root.resolve("link.jsonl"), outside.resolve("secret.jsonl"));
    Files.createSymbolicLink(root.resolve("link-dir"), outside);
    assertContains(problems(sft(root.resolve("link.jsonl").toString())), "link.jsonl\" is outside the folders");
    assertContains(problems(sft(root.resolve("link-dir/secret.jsonl").toString())), "is outside the folders");
    // below a link that leads out, even a file that does not exist is judged by where it would be
    assertContains(problems(sft(root.resolve("link-dir/none.jsonl").toString())), "is outside the folders");
    // ".." after a link climbs from the link's target, as the operating system reads it: by name alone this would
    // be inputs/escaped.jsonl
    Files.writeString(root.resolve("escaped.jsonl"), "{}\n");
    Files.writeString(dir.resolve("escaped.jsonl"), "{}\n");
    assertContains(problems(sft(root + "/link-dir/../escaped.jsonl")), "is outside the folders");
  }

  @Test
  void linksThatStayInsideAndLinkedInputFoldersAreFollowed() throws Exception {
    Files.createSymbolicLink(root.resolve("alias.jsonl"), root.resolve("sft.jsonl"));
    SpecValidator.resolve(sft(root.resolve("alias.jsonl").toString()), roots);
    Path linkedRoot = Files.createSymbolicLink(dir.resolve("linked-inputs"), root);
    SpecValidator.resolve(sft(linkedRoot.resolve("sft.jsonl").toString()), InputRoots.of(List.of(linkedRoot)));
  }

  @Test
  void aMissingFileInsideIsNamed() {
    assertContains(problems(sft(root.resolve("none.jsonl").toString())),
        "stages[0].sft.train_file: no such file on the server, and no earlier stage writes it: \"" + root);
  }

  @Test
  void aNulInAPathIsReportedNotThrown() {
    assertContains(problems(sft("a\u0000b")),
        "stages[0].sft.train_file: not a valid path (Nul character not allowed): \"a\\u0000b\"");
    WorkflowSpec init = WorkflowSpec.newBuilder().setModel(ModelSpec.newBuilder().setInitCheckpoint("/x\u0000"))
        .addStages(StageSpec.newBuilder().setSft(troupe.v1.SftConfig.getDefaultInstance())).build();
    assertContains(problems(init), "model.init_checkpoint: not a valid path");
    assertContains(problems(yaml("task: {kind: jsonl, train_file: \"t\\0.jsonl\", eval_file: \"e\\0\"}\n"
        + "stages: [{sft: {}}]")), "task.train_file: not a valid path");
    assertContains(problems(yaml("task: {kind: jsonl, train_file: \"t\\0.jsonl\", eval_file: \"e\\0\"}\n"
        + "stages: [{sft: {}}]")), "task.eval_file: not a valid path");
    assertContains(problems(yaml("image_model: {init_checkpoint: \"\\0\"}\nstages: [{flow_pretrain: {}}]")),
        "image_model.init_checkpoint: not a valid path");
    assertContains(problems(yaml("stages: [{dpo: {train_file: \"p\\0\"}}]")), "stages[0].dpo.train_file: not a valid");
    assertContains(problems(yaml("reward: {kind: model, checkpoint: \"r\\0\"}\nstages: [{sft: {}}]")),
        "reward.checkpoint: not a valid path");
  }

  @Test
  void everyFileFieldIsConfined() {
    for (String yaml : List.of(
        "model: {init_checkpoint: /etc/passwd}\nstages: [{sft: {}}]",
        "image_model: {init_checkpoint: /etc/passwd}\nstages: [{flow_pretrain: {}}]",
        "task: {kind: jsonl, train_file: /etc/passwd}\nstages: [{sft: {}}]",
        "task: {kind: jsonl, train_file: " + root.resolve("sft.jsonl") + ", eval_file: /etc/passwd}\n"
            + "stages: [{sft: {}}]",
        "stages: [{dpo: {train_file: /etc/passwd}}]",
        "stages: [{reward_model: {train_file: /etc/passwd}}]",
        "reward: {kind: model, checkpoint: /etc/passwd}\nstages: [{sft: {}}]",
        "stages: [{grpo: {reward: {kind: model, checkpoint: /etc/passwd}}}]")) {
      assertContains(problems(yaml(yaml)), "\"/etc/passwd\" is outside the folders");
    }
  }

  @Test
  void filesEarlierStagesWriteNeedNoInputFolder() {
    SpecValidator.resolve(yaml("stages: [{name: gen, generate_preferences: {}}, "
        + "{dpo: {train_file: preferences-gen.jsonl}}]"), InputRoots.NONE);
  }

  @Test
  void taskFilesAreReadWholeAndSoBounded() throws Exception {
    Path big = root.resolve("big.jsonl");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(SpecLimits.MAX_TASK_FILE_BYTES + 1); // sparse: no disk used
    }
    assertContains(problems(yaml("task: {kind: jsonl, train_file: " + big + "}\nstages: [{sft: {}}]")),
        "task.train_file: the file is " + (SpecLimits.MAX_TASK_FILE_BYTES + 1) + " bytes; a task file is read into "
            + "memory and may have at most " + SpecLimits.MAX_TASK_FILE_BYTES);
  }

  @Test
  void refusalNamesNothingForAnAllowedPath() {
    assertNull(roots.refusal(root.resolve("anything").toString()));
    assertTrue(InputRoots.NONE.refusal("/x").contains("(none)"));
  }

  private WorkflowSpec sft(String trainFile) {
    return WorkflowSpec.newBuilder().addStages(StageSpec.newBuilder().setSft(troupe.v1.SftConfig.newBuilder()
        .setTrainFile(trainFile))).build();
  }

  private static WorkflowSpec yaml(String text) {
    return WorkflowYaml.parse(text);
  }

  private String problems(WorkflowSpec spec) {
    return message(spec, roots);
  }
}
