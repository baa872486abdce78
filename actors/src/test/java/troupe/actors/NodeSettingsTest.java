package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's Pekko settings: troupe.conf's values, which system properties override, and what follows from them. */
class NodeSettingsTest {
  private static final String PHASE = "pekko.coordinated-shutdown.phases.before-service-unbind.timeout";

  @Test
  void theDrainsShutdownPhaseOutlastsTheDrain(@TempDir Path dir) {
    Config defaults = TroupeNode.config(NodeConfig.embedded(dir), null);
    assertEquals(Duration.ofSeconds(120), defaults.getDuration("troupe.drain-timeout"));
    assertEquals(Duration.ofSeconds(130), defaults.getDuration(PHASE));

    System.setProperty("troupe.drain-timeout", "300s");
    ConfigFactory.invalidateCaches();
    try {
      Config set = TroupeNode.config(NodeConfig.embedded(dir), null);
      assertEquals(Duration.ofSeconds(300), set.getDuration("troupe.drain-timeout"));
      assertEquals(Duration.ofSeconds(310), set.getDuration(PHASE));
    } finally {
      System.clearProperty("troupe.drain-timeout");
      ConfigFactory.invalidateCaches();
    }
  }
}
