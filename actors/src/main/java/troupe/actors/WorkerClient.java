package troupe.actors;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * Asks workers from a stage loop's own thread. Every ask has a timeout, and every failure, whether an error reply
 * or silence, becomes a {@link WorkerFailure} naming the worker: a stage never waits forever.
 */
final class WorkerClient {
  private final ActorSystem<?> system;
  private final Duration timeout;
  private final NodeDataPlane dataPlane;
  private final WorkerDirectory directory;

  WorkerClient(ActorSystem<?> system, Duration timeout, NodeDataPlane dataPlane, WorkerDirectory directory) {
    this.system = system;
    this.timeout = timeout;
    this.dataPlane = dataPlane;
    this.directory = directory;
  }

  /**
   * Asks a worker. Sampled images from a worker on another node come over the data plane: the request asks the
   * worker to publish them, and the answer is fetched from there before the future completes.
   */
  CompletableFuture<WorkerResponse> askAsync(ActorRef<WorkerAsk> worker, WorkerRequest request) {
    if (request.hasSampleImages() && !WorkflowWorkers.inThisJvm(worker)) {
      WorkerRequest published = request.toBuilder()
          .setSampleImages(request.getSampleImages().toBuilder().setPublish(true)).build();
      return send(worker, published).thenApplyAsync(r -> fetchImages(worker, r), dataPlane.fetchExecutor());
    }
    return send(worker, request);
  }

  private WorkerResponse fetchImages(ActorRef<WorkerAsk> worker, WorkerResponse r) {
    try {
      return r.toBuilder().setImages(troupe.v1.ImageSamples.parseFrom(dataPlane.fetch(r.getBlob()))).build();
    } catch (java.io.IOException e) {
      throw new WorkerFailure("worker " + worker.path() + ": cannot fetch its sampled images: " + e.getMessage());
    }
  }

  private CompletableFuture<WorkerResponse> send(ActorRef<WorkerAsk> worker, WorkerRequest request) {
    String what = request.getKindCase().name().toLowerCase();
    return AskPattern.<WorkerAsk, WorkerResponse>ask(worker, replyTo -> new WorkerAsk(request, replyTo), timeout,
            system.scheduler())
        .toCompletableFuture()
        .handle((response, error) -> {
          if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            String why = cause instanceof TimeoutException
                ? "did not answer " + what + " within " + timeout.toSeconds() + " s"
                : what + " failed: " + cause.getMessage();
            throw new WorkerFailure("worker " + worker.path() + " " + why);
          }
          if (response.hasError()) {
            throw new WorkerFailure("worker " + response.getWorker() + " reported: " + response.getError().getMessage());
          }
          return response;
        });
  }

  /**
   * Asks and waits; fails with {@link WorkerLost} as soon as the worker's node is unreachable instead of waiting
   * out the timeout.
   */
  WorkerResponse ask(ActorRef<WorkerAsk> worker, WorkerRequest request) {
    CompletableFuture<WorkerResponse> answer = askAsync(worker, request);
    while (true) {
      try {
        return answer.get(250, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (!directory.reachable(worker)) {
          throw new WorkerLost(worker, directory.node(worker));
        }
      } catch (InterruptedException | ExecutionException e) {
        return join(answer);
      }
    }
  }

  /** Waits for all asks; the first failure is rethrown once all have settled (none is left running unseen). */
  static List<WorkerResponse> joinAll(List<CompletableFuture<WorkerResponse>> asks) {
    CompletableFuture.allOf(asks.toArray(new CompletableFuture[0])).exceptionally(e -> null).join();
    return asks.stream().map(WorkerClient::join).toList();
  }

  static WorkerResponse join(CompletableFuture<WorkerResponse> ask) {
    try {
      return ask.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StageCancelled("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw cause instanceof RuntimeException r ? r : new WorkerFailure(String.valueOf(cause));
    }
  }
}
