package troupe.trainers.policy;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A trainable model's whole state in a folder, enough to go on exactly where it stopped: the weights and their
 * version ({@link #MODEL}), the optimizer's moments, update count and settings ({@link #OPTIMIZER}), and any random
 * stream the training draws from. What a resume point holds of the policy.
 */
public interface FullCheckpoint {
  String MODEL = "model.safetensors";
  String OPTIMIZER = "optimizer.safetensors";

  void saveFull(Path folder) throws IOException;

  /** Restores what {@link #saveFull} wrote, replacing the weights, version, optimizer state and random streams. */
  void loadFull(Path folder) throws IOException;
}
