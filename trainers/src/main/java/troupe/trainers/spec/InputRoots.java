package troupe.trainers.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The folders a workflow may read server files from: checkpoints, training and task files. The server reads what a
 * spec names with its own rights, so without these anyone holding the token could have it read /etc/... A path is
 * allowed when, with symbolic links and ".." resolved as the operating system resolves them when the file is read,
 * it lies inside one of the folders, and not in a private folder (the server's data folder, with its token, keys
 * and journal, which may well lie inside the Troupe home) unless an input folder inside that one holds it.
 */
public final class InputRoots {
  /** Where a server's data folder keeps the files its workflows may read. */
  public static final String INPUTS = "inputs";
  /** No folder: only files that earlier stages of the same workflow write may be read. */
  public static final InputRoots NONE = of(List.of());

  private final List<Path> folders;
  private final List<Path> realFolders;
  private final List<Path> realPrivate;

  private InputRoots(List<Path> folders, List<Path> privateFolders) {
    this.folders = folders.stream().map(f -> f.toAbsolutePath().normalize()).toList();
    this.realFolders = folders.stream().map(f -> real(f.toAbsolutePath())).toList();
    this.realPrivate = privateFolders.stream().map(f -> real(f.toAbsolutePath())).toList();
  }

  public static InputRoots of(List<Path> folders) {
    return new InputRoots(folders, List.of());
  }

  /**
   * A server's: its Troupe home (the shipped configs/ and checkpoints), the data folder's inputs/ and the folders
   * the operator adds (--input-dir); {@code privateFolders} (its data folder, its cluster keys) are never read.
   */
  public static InputRoots forServer(Path inputs, List<Path> extra, List<Path> privateFolders) {
    List<Path> all = new ArrayList<>();
    SpecDefaults.troupeHome().ifPresent(all::add);
    all.add(inputs);
    all.addAll(extra);
    return new InputRoots(all, privateFolders);
  }

  public List<Path> folders() {
    return folders;
  }

  /** Why the server may not read {@code file}, or null if it may (it may still not exist). Never throws. */
  public String refusal(String file) {
    Path path;
    try {
      path = Path.of(file).toAbsolutePath(); // not normalized: "link/.." is the link's parent, not "."
    } catch (InvalidPathException e) {
      return "not a valid path (" + e.getReason() + "): " + quoted(file);
    }
    Path real = real(path);
    int root = deepest(realFolders, real);
    int closed = deepest(realPrivate, real);
    if (root >= 0 && root >= closed) {
      return null;
    }
    String where = root >= 0 ? " is in a folder the server keeps private (its data folder, with its token, keys and "
        + "journal, or its cluster keys); it reads input files only from the input folders (" : " is outside the "
        + "folders the server reads input files from (";
    return quoted(file) + where
        + (folders.isEmpty() ? "none" : folders.stream().map(Path::toString).collect(Collectors.joining(", ")))
        + "); put the file in one of them, or start the server with --input-dir FOLDER";
  }

  /** How deep the deepest of the folders that holds {@code path} is; -1 if none does. */
  private static int deepest(List<Path> folders, Path path) {
    return folders.stream().filter(path::startsWith).mapToInt(Path::getNameCount).max().orElse(-1);
  }

  /**
   * Where the path leads: the real path of its deepest existing ancestor (links and ".." resolved by the operating
   * system) plus the rest, normalized. A link inside a folder that leads out of it is caught even when the file
   * below it does not exist yet.
   */
  private static Path real(Path absolute) {
    Path existing = absolute;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    try {
      return existing == null ? absolute.normalize()
          : existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
    } catch (IOException | SecurityException e) {
      return absolute.normalize(); // unreadable: judged by its name
    }
  }

  /** The path as the client wrote it, with control characters (a NUL) escaped and a long one cut. */
  static String quoted(String text) {
    StringBuilder b = new StringBuilder("\"");
    text.codePoints().limit(200).forEach(c -> b.append(Character.isISOControl(c)
        ? String.format("\\u%04X", c) : Character.toString(c)));
    return b.append(text.length() > 200 ? "...\"" : "\"").toString();
  }
}
