package troupe.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import troupe.actors.dataplane.DataPlaneClient;
import troupe.actors.dataplane.DataPlaneServer;
import troupe.v1.BlobRef;

/**
 * `troupe bench-weight-sync`: throughput of fetching one blob over the loopback data plane, against a plain loopback TCP copy of the same bytes
 * (one write of the array, read into a new array). Warm-up runs of each, then five timed runs of each, taking turns
 * so that both see the same load of the machine; reports the medians. A fetch includes checking the CRC32C of the
 * whole blob as well as of each chunk.
 *
 * <p>The JIT keeps compiling gRPC's and Netty's code for some 20 fetches of 64 MB, so more warm-up runs show the
 * steady state.
 */
@Command(name = "bench-weight-sync",
    description = "Data-plane fetch throughput against a plain loopback TCP copy of the same bytes.")
final class WeightSyncBench implements Callable<Integer> {
  private static final int RUNS = 5;

  @Option(names = "--megabytes", description = "blob size (default ${DEFAULT-VALUE})")
  int megabytes = 64;

  @Option(names = "--chunk-bytes", description = "chunk size (default ${DEFAULT-VALUE})")
  int chunkBytes = DataPlaneServer.DEFAULT_CHUNK_BYTES;

  @Option(names = "--warmup", description = "warm-up runs of each (default ${DEFAULT-VALUE})")
  int warmup = 10;

  @Override
  public Integer call() throws Exception {
    byte[] blob = new byte[megabytes * 1_000_000];
    new Random(1).nextBytes(blob);

    double[] dataPlaneSeconds = new double[RUNS];
    double[] tcpSeconds = new double[RUNS];
    try (DataPlaneServer server = DataPlaneServer.start("127.0.0.1", 0, chunkBytes);
        DataPlaneClient client = new DataPlaneClient();
        TcpSender tcp = new TcpSender(blob)) {
      BlobRef ref = server.store().publish("bench/blob", 1, blob);
      for (int i = -warmup; i < RUNS; i++) {
        double dataPlane = timeFetch(client, ref);
        double plain = tcp.timeCopy();
        System.out.printf("%s: data plane %.1f ms, TCP %.1f ms%n", i < 0 ? "warm-up" : "run " + (i + 1),
            dataPlane * 1e3, plain * 1e3);
        if (i >= 0) {
          dataPlaneSeconds[i] = dataPlane;
          tcpSeconds[i] = plain;
        }
      }
    }
    double dataPlane = blob.length / 1e6 / median(dataPlaneSeconds);
    double tcp = blob.length / 1e6 / median(tcpSeconds);
    System.out.printf("data plane: %.0f MB/s (%d MB in chunks of %d bytes)%n", dataPlane, megabytes, chunkBytes);
    System.out.printf("plain TCP:  %.0f MB/s%n", tcp);
    System.out.printf("data plane / TCP: %.2f%n", dataPlane / tcp);
    System.out.printf("{\"megabytes\": %d, \"chunk_bytes\": %d, \"warmup_runs\": %d, \"dataplane_mb_s\": %.1f,"
        + " \"tcp_mb_s\": %.1f, \"ratio\": %.3f}%n", megabytes, chunkBytes, warmup, dataPlane, tcp, dataPlane / tcp);
    return 0;
  }

  private static double timeFetch(DataPlaneClient client, BlobRef ref) throws IOException {
    long start = System.nanoTime();
    client.fetch(ref, Duration.ofMinutes(5));
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** A loopback listener that writes the whole blob in one call to every connection. */
  private static final class TcpSender implements AutoCloseable {
    private final byte[] blob;
    private final ServerSocket listener;
    private final Thread thread;

    TcpSender(byte[] blob) throws IOException {
      this.blob = blob;
      listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      thread = new Thread(this::serve, "tcp-sender");
      thread.start();
    }

    private void serve() {
      while (true) {
        try (Socket socket = listener.accept(); OutputStream out = socket.getOutputStream()) {
          out.write(blob);
        } catch (IOException e) {
          if (listener.isClosed()) {
            return; // the benchmark is over
          }
          throw new UncheckedIOException(e);
        }
      }
    }

    /** Seconds from connecting to having every byte in a new array. */
    double timeCopy() throws IOException {
      long start = System.nanoTime();
      byte[] received = new byte[blob.length];
      try (Socket socket = new Socket(listener.getInetAddress(), listener.getLocalPort());
          InputStream in = socket.getInputStream()) {
        if (in.readNBytes(received, 0, received.length) != received.length) {
          throw new IOException("the TCP copy ended early");
        }
      }
      return (System.nanoTime() - start) / 1e9;
    }

    @Override
    public void close() throws Exception {
      listener.close();
      thread.join();
    }
  }
}
