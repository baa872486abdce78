package troupe.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** A bearer token kept in a file: one line, owner-only, {@code DATA_DIR/auth/token} unless configured. */
final class TokenFile {
  private TokenFile() {}

  static Path in(Path dataDir) {
    return dataDir.resolve("auth").resolve("token");
  }

  /** The token in the file (surrounding whitespace, such as a final newline, is ignored). */
  static String read(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file).strip();
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "no token file");
    }
    try {
      return BearerToken.check(text, "the token in " + file);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Reads the token, or on first use writes a new random one (owner-only) and returns it. */
  static String readOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      return read(file);
    }
    String token = BearerToken.random();
    OwnerOnlyFiles.write(file, token + "\n");
    return token;
  }
}
