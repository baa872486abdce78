package troupe.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import troupe.v1.Artifact;

/**
 * A workflow folder as the API shows it: the sorted list of its files, and the file a client's path names, which
 * is never outside the folder. Everything here touches the disk, so callers run it off the gRPC and actor threads.
 */
final class ArtifactFiles {
  private ArtifactFiles() {}

  /** Every regular file under the folder, sorted by path; a folder not written yet has none. */
  static List<Artifact> list(Path folder) throws IOException {
    List<Artifact> found = new ArrayList<>();
    if (!Files.isDirectory(folder)) {
      return found;
    }
    Path root = folder.toRealPath();
    // walkFileTree does not follow symbolic links, so a link to elsewhere is neither listed nor entered.
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (attrs.isRegularFile()) {
          found.add(Artifact.newBuilder().setPath(relative(root, file)).setSizeBytes(attrs.size())
              .setModifiedUnixMillis(attrs.lastModifiedTime().toMillis()).build());
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        return FileVisitResult.CONTINUE; // a running workflow may replace a file while we walk: skip it
      }
    });
    found.sort(Comparator.comparing(Artifact::getPath));
    return found;
  }

  /** The '/'-separated path of file below root, whatever the platform's separator. */
  private static String relative(Path root, Path file) {
    List<String> names = new ArrayList<>();
    for (Path name : root.relativize(file)) {
      names.add(name.toString());
    }
    return String.join("/", names);
  }

  /**
   * Rejects, without touching the disk, a path that is not in the form ListArtifacts gives: empty, absolute,
   * with backslashes, or with empty, "." or ".." segments. Throws INVALID_ARGUMENT.
   */
  static void checkPath(String path) {
    if (path.isBlank()) {
      throw invalid("path is required: a file as listed by ListArtifacts");
    }
    if (path.indexOf('\0') >= 0) {
      throw invalid("path must not contain NUL characters");
    }
    if (path.indexOf('\\') >= 0) {
      throw invalid("path \"" + path + "\" must use '/' separators, not backslashes");
    }
    if (path.startsWith("/") || Path.of(path).isAbsolute()) {
      throw invalid("path \"" + path + "\" must be relative to the workflow folder, not absolute");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..")) {
        throw invalid("path \"" + path + "\" must not contain '..' segments");
      }
      if (segment.isEmpty() || segment.equals(".")) {
        throw invalid("path \"" + path + "\" must be written as listed, without empty or \".\" segments");
      }
    }
  }

  /**
   * The real file that path names in the folder of workflow id: NOT_FOUND if there is none, INVALID_ARGUMENT if
   * the path is malformed, a directory, or leads (through symbolic links) outside the folder.
   */
  static Path resolve(Path folder, String path, String id) {
    checkPath(path);
    Path file;
    try {
      Path root = folder.toRealPath();
      file = root.resolve(path).toRealPath(); // resolves symbolic links, so the check below sees the real target
      if (!file.startsWith(root)) {
        throw invalid("path \"" + path + "\" leads outside the workflow folder");
      }
    } catch (NoSuchFileException e) {
      throw Status.NOT_FOUND.withDescription("workflow " + id + " has no file \"" + path + "\"; `troupe artifacts "
          + id + "` lists its files").asRuntimeException();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read \"" + path + "\": " + e.getMessage(), e);
    }
    if (Files.isDirectory(file)) {
      throw invalid("path \"" + path + "\" is a directory; download the files in it one by one");
    }
    if (!Files.isRegularFile(file)) {
      throw invalid("path \"" + path + "\" is not a regular file");
    }
    return file;
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
