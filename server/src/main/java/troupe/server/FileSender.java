package troupe.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import troupe.v1.ArtifactChunk;

/**
 * Streams one file in chunks only as fast as the client takes them (gRPC flow control), so a large checkpoint is
 * never buffered whole; stops and closes the file when the client hangs up.
 */
final class FileSender {
  static final int CHUNK_BYTES = 64 * 1024;

  private final ServerCallStreamObserver<ArtifactChunk> stream;
  private FileChannel file;
  private long total;
  private long offset;
  private boolean done;

  FileSender(ServerCallStreamObserver<ArtifactChunk> stream) {
    this.stream = stream;
  }

  synchronized void start(Path path) throws IOException {
    if (done) {
      return; // cancelled while the workflow was looked up
    }
    file = FileChannel.open(path, StandardOpenOption.READ);
    total = file.size(); // a file that grows meanwhile (a live metrics.jsonl) is sent as it was now
    pump();
  }

  /** Sends chunks while the transport has room; called again by gRPC each time it has room again. */
  synchronized void pump() {
    if (file == null || done) {
      return;
    }
    try {
      while (!done && stream.isReady()) {
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, total - offset));
        while (chunk.hasRemaining()) {
          if (file.read(chunk, offset + chunk.position()) < 0) {
            throw new IOException("the file shrank to " + (offset + chunk.position()) + " of " + total
                + " bytes while being sent");
          }
        }
        // An empty file is still sent as one empty chunk, so the client learns total_bytes = 0.
        stream.onNext(ArtifactChunk.newBuilder().setData(ByteString.copyFrom(chunk.array()))
            .setOffset(offset).setTotalBytes(total).build());
        offset += chunk.capacity();
        if (offset >= total) {
          close();
          stream.onCompleted();
        }
      }
    } catch (IOException e) {
      fail(e);
    }
  }

  synchronized void fail(Throwable error) {
    if (done) {
      return;
    }
    close();
    Throwable cause = error instanceof UncheckedIOException u ? u.getCause() : error;
    if (cause instanceof StatusRuntimeException s) {
      stream.onError(s);
    } else if (cause instanceof IOException) {
      stream.onError(Status.INTERNAL.withDescription("cannot read the file: " + cause).asRuntimeException());
    } else {
      stream.onError(Status.UNAVAILABLE.withDescription(String.valueOf(cause.getMessage())).asRuntimeException());
    }
  }

  synchronized void cancel() {
    close();
  }

  private void close() {
    done = true;
    if (file != null) {
      try {
        file.close();
      } catch (IOException e) {
        // nothing was written through it; closing a read-only file cannot lose data
      }
    }
  }
}
