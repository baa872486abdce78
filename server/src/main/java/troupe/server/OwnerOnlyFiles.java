package troupe.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Secrets on disk (the API token, the TLS private key): a folder only its owner can enter (rwx------) holding
 * files only the owner can read (rw-------). On a file system without POSIX permissions the files are just
 * created.
 */
final class OwnerOnlyFiles {
  static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private OwnerOnlyFiles() {}

  static Path folder(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (posix(dir)) {
      Files.setPosixFilePermissions(dir, FOLDER);
    }
    return dir;
  }

  /**
   * Writes the text to a new file next to the target, created owner-only before any byte is written, then moves
   * it into place, so nobody ever sees the secret with wider permissions or half-written.
   */
  static void write(Path target, String text) throws IOException {
    Path dir = folder(target.toAbsolutePath().getParent());
    Path temp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID().toString().substring(0, 8));
    try {
      if (posix(dir)) {
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(FILE));
      } else {
        Files.createFile(temp);
      }
      Files.writeString(temp, text);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** True if others than the owner may read the file (always false without POSIX permissions). */
  static boolean readableByOthers(Path file) throws IOException {
    if (!posix(file)) {
      return false;
    }
    Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
    return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ);
  }

  static boolean posix(Path path) throws IOException {
    return Files.getFileStore(path).supportsFileAttributeView(PosixFileAttributeView.class);
  }
}
