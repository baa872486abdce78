package troupe.trainers.policy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import troupe.trainers.model.Safetensors;
import troupe.trainers.model.TensorCodec;
import troupe.v1.Weights;

/**
 * One copy of a model's weights with a version number, as every worker holds it per workflow: weight export and
 * import (for sync), safetensors checkpoints, and the native memory that dies with the session.
 */
public abstract class VersionedModel implements AutoCloseable {
  protected final NDManager manager;
  protected long version;

  protected VersionedModel(String device) {
    this.manager = NDManager.newBaseManager(device(device));
  }

  /** Every trainable array by stable name, in a fixed order. */
  protected abstract LinkedHashMap<String, NDArray> parameters();

  /** Copies checked values into the parameters in place. */
  protected abstract void loadParameters(Map<String, NDArray> values);

  /** "cpu" or "gpu"; a gpu that is not there fails here with a clear message instead of running slowly on cpu. */
  static Device device(String name) {
    if (name.equals("gpu")) {
      if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) {
        throw new IllegalStateException("runtime.device is gpu but no GPU is visible to PyTorch on this node");
      }
      return Device.gpu();
    }
    return Device.cpu();
  }

  public long version() {
    return version;
  }

  public Weights exportWeights() {
    return Weights.newBuilder().setVersion(version).addAllTensors(TensorCodec.toProto(parameters())).build();
  }

  /** All tensors are decoded and checked before any is copied in, so a bad message never leaves a half-loaded model. */
  public void loadWeights(Weights weights) {
    try (NDManager scratch = manager.newSubManager()) {
      loadParameters(TensorCodec.fromProto(weights.getTensorsList(), scratch));
    }
    version = weights.getVersion();
  }

  /** Writes the weights as a safetensors file (atomically), with the weight version in its metadata. */
  public void saveCheckpoint(Path file, Map<String, String> metadata) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Map<String, String> all = new java.util.LinkedHashMap<>(metadata);
    all.put("policy_version", Long.toString(version));
    Safetensors.write(file, parameters(), all);
  }

  /** Loads weights from a safetensors file written by {@link #saveCheckpoint}; the version restarts at 0. */
  public void loadCheckpoint(Path file) throws IOException {
    try (NDManager scratch = manager.newSubManager()) {
      loadParameters(Safetensors.read(file, scratch));
    }
    version = 0;
  }

  /**
   * Loads weights from {@link #saveCheckpoint} together with their version, as a resume point restores them;
   * returns the file's metadata.
   */
  protected Map<String, String> loadVersioned(Path file) throws IOException {
    Map<String, String> metadata = Safetensors.readMetadata(file);
    try (NDManager scratch = manager.newSubManager()) {
      loadParameters(Safetensors.read(file, scratch));
    }
    version = Long.parseLong(metadata.getOrDefault("policy_version", "0"));
    return metadata;
  }

  @Override
  public void close() {
    manager.close();
  }
}
