package troupe.actors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.v1.BlobRef;
import troupe.v1.LoadCheckpoint;
import troupe.v1.SaveCheckpoint;
import troupe.v1.WorkerRequest;

/**
 * A stateful worker's (policy, critic, reward model in training) full checkpoint saved into a resume point's folder
 * and loaded back from it, wherever the worker runs. A worker in this JVM reads and writes the folder itself; a
 * worker on another node does not share this node's disk, so its files cross the data plane as a
 * {@link FolderBundle}: it publishes them and this node fetches them into the folder (save), or this node publishes
 * them and the worker fetches them (load).
 */
final class FullCheckpoints {
  private FullCheckpoints() {}

  /** Saves the worker's full state into the folder; returns the weight version it saved. */
  static long save(WorkflowWorkers workers, ActorRef<WorkerAsk> worker, Path folder) throws IOException {
    SaveCheckpoint.Builder save = SaveCheckpoint.newBuilder().setFull(true);
    if (WorkflowWorkers.inThisJvm(worker)) {
      return workers.client.ask(worker, workers.request().setSaveCheckpoint(
          save.setPath(folder.toAbsolutePath().toString())).build()).getAck().getPolicyVersion();
    }
    BlobRef bundle = workers.client.ask(worker, workers.request().setSaveCheckpoint(save.setPublish(true)).build())
        .getBlob();
    FolderBundle.unpack(workers.dataPlane.fetch(bundle), folder);
    return bundle.getVersion();
  }

  /** Loads the worker's full state from the named files of the folder; returns the weight version it holds now. */
  static long load(WorkflowWorkers workers, ActorRef<WorkerAsk> worker, Path folder, List<String> files)
      throws IOException {
    LoadCheckpoint.Builder load = LoadCheckpoint.newBuilder();
    if (WorkflowWorkers.inThisJvm(worker)) {
      return ask(workers, worker, load.setFolder(folder.toAbsolutePath().toString()));
    }
    WorkerRequest.Builder request = workers.request();
    String key = request.getWorkflowId() + "/restore/" + folder.getFileName();
    BlobRef bundle = workers.dataPlane.publish(key, 0, FolderBundle.pack(folder, files));
    try {
      return ask(workers, worker, load.setBundle(bundle));
    } finally {
      workers.dataPlane.unpublish(key); // fetched by now, or of no use to anyone
    }
  }

  private static long ask(WorkflowWorkers workers, ActorRef<WorkerAsk> worker, LoadCheckpoint.Builder load) {
    return workers.client.ask(worker, workers.request().setLoadCheckpoint(load).build()).getAck().getPolicyVersion();
  }
}
