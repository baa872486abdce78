package troupe.server;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import troupe.actors.WatchForwarder;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.SubmitWorkflowResponse;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;

/**
 * A load on the API: many tiny workflows submitted at once and many watchers spread over them, each on its own
 * connection. A third of the watchers start right away, a third start late (the history is replayed to them), a
 * third read a few events, hang up, and resume with after_seq. Every watcher must end up with every event of its
 * workflow in order. Used by `troupe bench-load` and by LoadTest.
 */
final class LoadRun {
  /** About 15 events in a few seconds: SFT and GRPO on a one-layer model. */
  static String tinyWorkflow(int index) {
    return """
        name: load-%d
        seed: %d
        model: {layers: 1, d_model: 32, heads: 2, d_ff: 64, max_seq_len: 16}
        task: {kind: reverse, min_digits: 3, max_digits: 4, labelled_size: 32, eval_size: 8}
        eval: {every_steps: 2, samples_shown: 2}
        stages:
          - sft: {steps: 3, batch_size: 8}
          - grpo: {steps: 2, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
        """.formatted(index, index + 1);
  }

  /** What one watcher saw; latencies only of events created after its call started (live, not replayed). */
  record Watcher(int index, String kind, String workflowId, List<WorkflowEvent> received, List<Long> latencyMillis,
      Throwable error) {}

  record Result(Map<String, List<WorkflowEvent>> events, List<Watcher> watchers, double seconds) {
    /** Every way a watcher's events differ from its workflow's full history; empty if none was lost. */
    List<String> problems() {
      List<String> problems = new ArrayList<>();
      for (Watcher w : watchers) {
        String who = "watcher " + w.index() + " (" + w.kind() + ") of " + w.workflowId();
        if (w.error() != null) {
          problems.add(who + ": " + w.error());
          continue;
        }
        for (int i = 0; i < w.received().size(); i++) {
          if (w.received().get(i).getSeq() != i + 1) {
            problems.add(who + ": event " + (i + 1) + " has seq " + w.received().get(i).getSeq());
            break;
          }
        }
        List<WorkflowEvent> all = events.get(w.workflowId());
        if (!w.received().equals(all)) {
          problems.add(who + ": received " + w.received().size() + " events, the workflow has " + all.size());
        }
      }
      return problems;
    }

    List<Long> latencies() {
      List<Long> all = new ArrayList<>();
      watchers.forEach(w -> all.addAll(w.latencyMillis()));
      Collections.sort(all);
      return all;
    }

    static long percentile(List<Long> sorted, double p) {
      return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
    }

    String json() {
      List<Long> l = latencies();
      int received = watchers.stream().mapToInt(w -> w.received().size()).sum();
      return String.format(Locale.ROOT, "{\"workflows\":%d,\"watchers\":%d,\"events_received\":%d,"
              + "\"live_events\":%d,\"latency_ms_median\":%d,\"latency_ms_p99\":%d,\"latency_ms_max\":%d,"
              + "\"problems\":%d,\"seconds\":%.1f}", events.size(), watchers.size(), received, l.size(),
          percentile(l, 0.5), percentile(l, 0.99), l.isEmpty() ? -1 : l.get(l.size() - 1), problems().size(), seconds);
    }
  }

  private LoadRun() {}

  /**
   * Submits the workflows at once, runs the watchers until every workflow ended (at most {@code timeout}), then
   * reads each workflow's full history to compare against. {@code connect} opens one client (connection).
   */
  static Result run(Supplier<TroupeClient> connect, int workflows, int watchers, Duration timeout) throws Exception {
    long started = System.nanoTime();
    List<TroupeClient> clients = new ArrayList<>();
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try {
      TroupeClient submitter = connect.get();
      clients.add(submitter);
      List<CompletableFuture<String>> submitted = new ArrayList<>();
      for (int i = 0; i < workflows; i++) {
        CompletableFuture<SubmitWorkflowResponse> response = new CompletableFuture<>();
        submitter.asyncStub().submitWorkflow(SubmitWorkflowRequest.newBuilder().setSpecYaml(tinyWorkflow(i)).build(),
            observer(response));
        submitted.add(response.thenApply(SubmitWorkflowResponse::getWorkflowId));
      }
      List<String> ids = new ArrayList<>();
      for (CompletableFuture<String> id : submitted) {
        ids.add(id.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
      }

      Random random = new Random(17);
      List<CompletableFuture<Watcher>> running = new ArrayList<>();
      for (int i = 0; i < watchers; i++) {
        TroupeClient client = connect.get();
        clients.add(client);
        String id = ids.get(i % ids.size());
        int index = i;
        running.add(switch (i % 3) {
          case 0 -> watchAll(client, index, "early", id, timeout);
          case 1 -> {
            CompletableFuture<Watcher> late = new CompletableFuture<>();
            later.schedule(() -> watchAll(client, index, "late", id, timeout).whenComplete((w, e) -> complete(late, w, e)),
                200 + random.nextInt(2800), TimeUnit.MILLISECONDS);
            yield late;
          }
          default -> watchWithResume(client, index, id, 1 + i % 4, timeout);
        });
      }
      List<Watcher> results = new ArrayList<>();
      for (CompletableFuture<Watcher> w : running) {
        results.add(w.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
      }

      Map<String, List<WorkflowEvent>> events = new LinkedHashMap<>();
      for (String id : ids) { // the workflows have ended: a watch from the start replays the whole history
        List<WorkflowEvent> all = new ArrayList<>();
        submitter.stub().withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(id).build()).forEachRemaining(all::add);
        events.put(id, all);
      }
      return new Result(events, results, (System.nanoTime() - started) / 1e9);
    } finally {
      later.shutdownNow();
      clients.forEach(TroupeClient::close);
    }
  }

  private static CompletableFuture<Watcher> watchAll(TroupeClient client, int index, String kind, String id,
      Duration timeout) {
    List<WorkflowEvent> received = Collections.synchronizedList(new ArrayList<>());
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    return watch(client, id, 0, 0, received, latencies, timeout)
        .handle((ignored, error) -> new Watcher(index, kind, id, received, latencies, error));
  }

  /** Reads {@code first} events, hangs up, then watches again from the last seq it has. */
  private static CompletableFuture<Watcher> watchWithResume(TroupeClient client, int index, String id, int first,
      Duration timeout) {
    List<WorkflowEvent> received = Collections.synchronizedList(new ArrayList<>());
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    return watch(client, id, 0, first, received, latencies, timeout).thenCompose(ignored -> {
      WorkflowEvent last = received.isEmpty() ? null : received.get(received.size() - 1);
      return last != null && WatchForwarder.isTerminal(last)
          ? CompletableFuture.completedFuture(null) // it ended before we hung up
          : watch(client, id, last == null ? 0 : last.getSeq(), 0, received, latencies, timeout);
    })
        .handle((ignored, error) -> new Watcher(index, "resume after " + first, id, received, latencies, error));
  }

  /** One WatchWorkflow call; with {@code stopAfter} > 0 it cancels the call after that many events. */
  private static CompletableFuture<Void> watch(TroupeClient client, String id, long afterSeq, int stopAfter,
      List<WorkflowEvent> received, List<Long> latencies, Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long startMillis = System.currentTimeMillis();
    Consumer<WorkflowEvent> record = e -> {
      long now = System.currentTimeMillis();
      received.add(e);
      if (e.getUnixMillis() >= startMillis) {
        latencies.add(now - e.getUnixMillis());
      }
    };
    client.asyncStub().withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).watchWorkflow(
        WatchWorkflowRequest.newBuilder().setWorkflowId(id).setAfterSeq(afterSeq).build(),
        new ClientResponseObserver<WatchWorkflowRequest, WorkflowEvent>() {
          private ClientCallStreamObserver<WatchWorkflowRequest> call;
          private int seen;

          @Override
          public void beforeStart(ClientCallStreamObserver<WatchWorkflowRequest> call) {
            this.call = call;
          }

          @Override
          public void onNext(WorkflowEvent e) {
            if (done.isDone()) {
              return; // already hung up; a late event of the cancelled call is not ours
            }
            record.accept(e);
            if (stopAfter > 0 && ++seen >= stopAfter && !WatchForwarder.isTerminal(e)) {
              done.complete(null);
              call.cancel("hanging up to resume with after_seq", null);
            }
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t); // no effect after our own cancel
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    return done;
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() { }
    };
  }

  private static <T> void complete(CompletableFuture<T> target, T value, Throwable error) {
    if (error != null) {
      target.completeExceptionally(error);
    } else {
      target.complete(value);
    }
  }
}
