package troupe.actors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.trainers.policy.ValueModel;

/**
 * What a stage keeps in its resume points besides the policy and the loop state: written into the point's folder
 * before the manifest (so the manifest covers it), read back when the stage resumes from the point.
 */
interface ResumePart {
  void save(Path folder) throws IOException;

  void restore(Path folder) throws IOException;

  /**
   * A critic or reward model in training: its weights, optimizer and version (critic.safetensors,
   * critic-optimizer.safetensors), carried like the policy's wherever its worker runs ({@link FullCheckpoints}).
   */
  static ResumePart critic(WorkflowWorkers workers, ActorRef<WorkerAsk> critic) {
    return new ResumePart() {
      @Override
      public void save(Path folder) throws IOException {
        FullCheckpoints.save(workers, critic, folder);
      }

      @Override
      public void restore(Path folder) throws IOException {
        FullCheckpoints.load(workers, critic, folder, List.of(ValueModel.FULL_WEIGHTS, ValueModel.FULL_OPTIMIZER));
      }
    };
  }
}
