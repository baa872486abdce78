package troupe.actors;

import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import troupe.v1.LoopState;

/**
 * A workflow's resume points: folders {@code resume/stage-S-step-N/} holding the policy's full checkpoint
 * (model.safetensors, optimizer.safetensors), the stage's other parts if any ({@link ResumePart}: a critic), the
 * stage loop's state (loop.json) and a manifest of every file's size and SHA-256. A point is written into a
 * ".partial" folder, every file is synced, the manifest is written last, and the folder is renamed into place: a
 * crash leaves either a complete point or a partial folder that is ignored. A point whose files do not match its
 * manifest is skipped in favour of the one before it.
 */
public final class ResumePoints {
  static final String MANIFEST = "manifest.json";
  static final String LOOP = "loop.json";
  private static final String PARTIAL = ".partial";

  private final Path root;

  ResumePoints(Path workflowFolder) {
    this.root = workflowFolder.resolve("resume");
  }

  /** The folder the policy writes its part into before {@link #commit}. */
  Path begin(int stageIndex, int step) throws IOException {
    Path partial = root.resolve(name(stageIndex, step) + PARTIAL);
    if (Files.exists(partial)) {
      deleteTree(partial);
    }
    return Files.createDirectories(partial);
  }

  /**
   * Adds the loop state and the manifest to a folder from {@link #begin}, moves it into place, and deletes all but
   * the newest {@code keep} points.
   */
  Path commit(Path partial, LoopState loop, int keep) throws IOException {
    writeSynced(partial.resolve(LOOP), JsonFormat.printer().print(loop).getBytes(StandardCharsets.UTF_8));
    Map<String, String> manifest = new TreeMap<>();
    try (Stream<Path> files = Files.list(partial)) {
      for (Path f : files.sorted().toList()) {
        sync(f);
        manifest.put(f.getFileName().toString(), Files.size(f) + " " + sha256(f));
      }
    }
    StringBuilder text = new StringBuilder();
    manifest.forEach((file, sizeAndHash) -> text.append(file).append(' ').append(sizeAndHash).append('\n'));
    writeSynced(partial.resolve(MANIFEST), text.toString().getBytes(StandardCharsets.UTF_8));
    Path done = root.resolve(partial.getFileName().toString().replace(PARTIAL, ""));
    if (Files.exists(done)) {
      deleteTree(done);
    }
    Files.move(partial, done, StandardCopyOption.ATOMIC_MOVE);
    sync(root);
    List<Path> all = points();
    for (int i = 0; i < all.size() - Math.max(1, keep); i++) {
      if (!all.get(i).getFileName().toString().endsWith("-step-0")) { // a stage's start: its reference, its restart
        deleteTree(all.get(i));
      }
    }
    return done;
  }

  /** The point at the start of a stage (step 0); it is kept while the workflow runs. */
  Path stageStart(int stageIndex) {
    Path p = root.resolve(name(stageIndex, 0));
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("no resume point at the start of stage " + stageIndex + " (" + p + ")");
    }
    return p;
  }

  /** A verified point and its loop state. */
  record Point(Path folder, LoopState loop) {}

  /**
   * The points whose files match their manifests, newest first. Each damaged point is reported (with the reason)
   * and left out; the caller falls back to an older one.
   */
  List<Point> valid(Consumer<String> damaged) {
    List<Path> all = new ArrayList<>(points());
    java.util.Collections.reverse(all);
    List<Point> out = new ArrayList<>();
    for (Path p : all) {
      try {
        out.add(new Point(p, verify(p)));
      } catch (IOException | RuntimeException e) {
        damaged.accept("resume point " + root.getParent().relativize(p) + " is damaged (" + e.getMessage()
            + "); falling back to an older one");
      }
    }
    return out;
  }

  /** Checks every file against the manifest and returns the loop state. */
  public static LoopState verify(Path point) throws IOException {
    Path manifest = point.resolve(MANIFEST);
    if (!Files.exists(manifest)) {
      throw new IOException("no " + MANIFEST);
    }
    for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
      String[] parts = line.split(" ");
      if (parts.length != 3) {
        throw new IOException(MANIFEST + " has a bad line: " + line);
      }
      Path f = point.resolve(parts[0]);
      if (!Files.exists(f)) {
        throw new IOException(parts[0] + " is missing");
      }
      if (Files.size(f) != Long.parseLong(parts[1])) {
        throw new IOException(parts[0] + " has " + Files.size(f) + " bytes, the manifest says " + parts[1]);
      }
      if (!sha256(f).equals(parts[2])) {
        throw new IOException(parts[0] + " does not match its SHA-256");
      }
    }
    LoopState.Builder loop = LoopState.newBuilder();
    JsonFormat.parser().merge(Files.readString(point.resolve(LOOP)), loop);
    return loop.build();
  }

  /** Complete points, oldest first (by stage, then step). */
  List<Path> points() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(root)) {
      return dirs.filter(d -> Files.isDirectory(d) && !d.getFileName().toString().endsWith(PARTIAL)
              && d.getFileName().toString().matches("stage-\\d+-step-\\d+"))
          .sorted(Comparator.comparingLong(ResumePoints::order)).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static long order(Path point) {
    String[] parts = point.getFileName().toString().split("-");
    return Long.parseLong(parts[1]) * 1_000_000_000L + Long.parseLong(parts[3]);
  }

  static String name(int stageIndex, int step) {
    return "stage-" + stageIndex + "-step-" + step;
  }

  private static void writeSynced(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes);
    sync(file);
  }

  /** fsync: the bytes (or a directory's entries) are on disk before the next step of the protocol. */
  private static void sync(Path path) throws IOException {
    try (FileChannel channel = Files.isDirectory(path) ? FileChannel.open(path, StandardOpenOption.READ)
        : FileChannel.open(path, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  /** The size of a point: its files together. */
  static long bytes(Path point) throws IOException {
    try (Stream<Path> files = Files.list(point)) {
      long sum = 0;
      for (Path f : files.toList()) {
        sum += Files.size(f);
      }
      return sum;
    }
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), newSha256())) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    }
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  static void deleteTree(Path folder) throws IOException {
    try (Stream<Path> all = Files.walk(folder)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
