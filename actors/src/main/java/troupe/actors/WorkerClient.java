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

  WorkerClient(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
  }

  CompletableFuture<WorkerResponse> askAsync(ActorRef<WorkerAsk> worker, WorkerRequest request) {
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

  WorkerResponse ask(ActorRef<WorkerAsk> worker, WorkerRequest request) {
    return join(askAsync(worker, request));
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
