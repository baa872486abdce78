package troupe.actors;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import troupe.v1.BundledFile;
import troupe.v1.FileBundle;
import troupe.v1.LoadCheckpoint;
import troupe.v1.SaveCheckpoint;
import troupe.v1.WorkerResponse;

/**
 * A folder's files as one data-plane blob: how a full checkpoint (a resume point's part) crosses between a worker
 * and an orchestrator on different nodes, which share no file system. Workers write and read such state into
 * folders only, so a temporary folder stands in for the resume point's on the worker's side.
 */
final class FolderBundle {
  private FolderBundle() {}

  /** Writes into, or reads from, a folder. */
  interface FolderIo {
    void apply(Path folder) throws IOException;
  }

  /** The named files of a folder as a bundle. */
  static byte[] pack(Path folder, List<String> names) throws IOException {
    FileBundle.Builder b = FileBundle.newBuilder();
    for (String name : names) {
      b.addFiles(BundledFile.newBuilder().setName(name).setData(ByteString.copyFrom(Files.readAllBytes(
          folder.resolve(name)))));
    }
    return b.build().toByteArray();
  }

  /** Every file of a folder (not its subfolders), by name. */
  static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  /** Writes a bundle's files into a folder; a name that is not a plain file name is refused. */
  static void unpack(byte[] bytes, Path folder) throws IOException {
    for (BundledFile f : FileBundle.parseFrom(bytes).getFilesList()) {
      Path target = folder.resolve(f.getName()).normalize();
      if (f.getName().isEmpty() || !target.getParent().equals(folder.normalize())) {
        throw new IOException("a bundled file may not be called \"" + f.getName() + "\"");
      }
      Files.write(target, f.getData().toByteArray());
    }
  }

  /**
   * A worker's answer to a full save: written straight into the folder named (same node as the asker), or, with
   * publish, into a temporary folder whose files are published as one bundle under {@code key}.
   */
  static WorkerResponse.Builder save(SaveCheckpoint save, NodeDataPlane dataPlane, String key, long version,
      FolderIo saveFull) throws IOException {
    if (!save.getPublish()) {
      saveFull.apply(Path.of(save.getPath()));
      return Workers.ack(version);
    }
    Path temp = Files.createTempDirectory("troupe-full-");
    try {
      saveFull.apply(temp);
      return WorkerResponse.newBuilder().setBlob(dataPlane.publish(key, version, pack(temp, names(temp))));
    } finally {
      ResumePoints.deleteTree(temp);
    }
  }

  /** A worker's full load: from the folder named, or from a bundle fetched into a temporary folder. */
  static void load(LoadCheckpoint load, NodeDataPlane dataPlane, FolderIo loadFull) throws IOException {
    if (!load.hasBundle()) {
      loadFull.apply(Path.of(load.getFolder()));
      return;
    }
    Path temp = Files.createTempDirectory("troupe-full-");
    try {
      unpack(dataPlane.fetch(load.getBundle()), temp);
      loadFull.apply(temp);
    } finally {
      ResumePoints.deleteTree(temp);
    }
  }

}
