package troupe.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the workflow registry's journal lives: by default an embedded H2 database file in the server's data folder
 * (nothing to install); for production a PostgreSQL database, named by {@code TROUPE_JOURNAL_URL} (a
 * jdbc:postgresql:// URL) with {@code TROUPE_JOURNAL_USER} and {@code TROUPE_JOURNAL_PASSWORD}, or the system
 * properties troupe.journal.url, .user, .password.
 */
final class JournalConfig {
  private JournalConfig() {}

  static Config of(Path dataDir) {
    String url = setting("url", "");
    String user = setting("user", "");
    String password = setting("password", "");
    String profile;
    String driver;
    if (url.isEmpty()) {
      url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("journal").resolve("troupe");
      profile = "slick.jdbc.H2Profile$";
      driver = "org.h2.Driver";
    } else if (url.startsWith("jdbc:postgresql:")) {
      profile = "slick.jdbc.PostgresProfile$";
      driver = "org.postgresql.Driver";
    } else {
      throw new IllegalArgumentException("journal URL " + url + " is not supported; allowed: jdbc:postgresql://..., "
          + "or none for the embedded H2 file");
    }
    String db = "pekko-persistence-jdbc.shared-databases.troupe.";
    return ConfigFactory.parseMap(Map.of(
        db + "profile", profile,
        db + "db.url", url,
        db + "db.user", user,
        db + "db.password", password,
        db + "db.driver", driver));
  }

  private static String setting(String name, String otherwise) {
    String property = System.getProperty("troupe.journal." + name);
    if (property != null) {
      return property;
    }
    String env = System.getenv("TROUPE_JOURNAL_" + name.toUpperCase(java.util.Locale.ROOT));
    return env != null ? env : otherwise;
  }
}
