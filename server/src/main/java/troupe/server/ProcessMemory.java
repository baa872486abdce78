package troupe.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory from /proc/self/status (Linux): VmRSS now and VmHWM, its peak. Native memory
 * (libtorch's tensors) counts there, which no JVM figure shows.
 */
final class ProcessMemory {
  private ProcessMemory() {}

  static long residentBytes() throws IOException {
    return field("VmRSS:");
  }

  static long peakResidentBytes() throws IOException {
    return field("VmHWM:");
  }

  /** Sets VmHWM to the current VmRSS ("5" to clear_refs, Linux 4.0+), so that the next peak is one step's alone. */
  static void resetPeak() throws IOException {
    Files.writeString(Path.of("/proc/self/clear_refs"), "5");
  }

  private static long field(String name) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(name)) { // "VmRSS:	  123456 kB"
        return Long.parseLong(line.substring(name.length()).replace("kB", "").trim()) * 1024;
      }
    }
    throw new IOException("no " + name + " in /proc/self/status");
  }
}
