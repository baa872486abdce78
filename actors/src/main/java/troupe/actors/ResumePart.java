package troupe.actors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.v1.LoadCheckpoint;
import troupe.v1.SaveCheckpoint;

/**
 * What a stage keeps in its resume points besides the policy and the loop state: written into the point's folder
 * before the manifest (so the manifest covers it), read back when the stage resumes from the point.
 */
interface ResumePart {
  void save(Path folder) throws IOException;

  void restore(Path folder) throws IOException;

  /**
   * A critic or reward model in training: its worker writes its weights, optimizer and version into the folder
   * (critic.safetensors, critic-optimizer.safetensors), so, like the policy, it must share this node's file system.
   */
  static ResumePart critic(WorkflowWorkers workers, ActorRef<WorkerAsk> critic) {
    return new ResumePart() {
      @Override
      public void save(Path folder) {
        workers.client.ask(critic, workers.request().setSaveCheckpoint(SaveCheckpoint.newBuilder().setFull(true)
            .setPath(folder.toAbsolutePath().toString())).build());
      }

      @Override
      public void restore(Path folder) {
        workers.client.ask(critic, workers.request().setLoadCheckpoint(LoadCheckpoint.newBuilder()
            .setFolder(folder.toAbsolutePath().toString())).build());
      }
    };
  }

  /** A file the stage writes as it goes (its output so far): copied into the point, and back over the file. */
  static ResumePart file(Path file, String nameInPoint) {
    return new ResumePart() {
      @Override
      public void save(Path folder) throws IOException {
        Files.copy(file, folder.resolve(nameInPoint), StandardCopyOption.REPLACE_EXISTING);
      }

      @Override
      public void restore(Path folder) throws IOException {
        Files.copy(folder.resolve(nameInPoint), file, StandardCopyOption.REPLACE_EXISTING);
      }
    };
  }
}
