package troupe.actors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToIntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * One step's work spread over the workers of a role, as shards of whole items (prompt groups, items to score),
 * sized by each worker's measured throughput. A shard whose worker fails, times out or whose node becomes
 * unreachable is re-issued to another worker; an answer for a shard that is already done is dropped; and the done
 * shards are checked to cover every item exactly once, with the expected number of results each.
 *
 * <p>A shard's request depends only on its item range (its sampling seed too), so a re-issued shard gives the same
 * result on any worker holding the same weights.
 */
final class ShardedCall {
  /** Builds the request of the shard of items [from, to). */
  interface ShardRequest {
    WorkerRequest build(int from, int to);
  }

  /** A shard's answer: its item range, the response and the worker that gave it. */
  record Done(int from, int to, WorkerResponse response, ActorRef<WorkerAsk> worker) {}

  private record Attempt(int from, int to, ActorRef<WorkerAsk> worker, CompletableFuture<WorkerResponse> answer,
      long startedNanos) {}

  private static final int MAX_ATTEMPTS = 3;

  private final WorkflowWorkers workers;
  private final WorkerRole role;
  private final ShardStats stats;

  ShardedCall(WorkflowWorkers workers, WorkerRole role, ShardStats stats) {
    this.workers = workers;
    this.role = role;
    this.stats = stats;
  }

  /**
   * Runs n items over the pool; {@code resultsPerItem} results are expected per item (G samples per prompt, or 1),
   * counted in each response by {@code results}. Returns the answers in item order.
   */
  List<Done> run(List<ActorRef<WorkerAsk>> pool, int n, int resultsPerItem, ShardRequest request,
      ToIntFunction<WorkerResponse> results) {
    List<Attempt> live = new ArrayList<>();
    TreeMap<Integer, Done> done = new TreeMap<>();
    Map<Integer, Integer> attempts = new HashMap<>();
    Set<ActorRef<WorkerAsk>> failed = new HashSet<>();
    List<int[]> shards = new ArrayList<>();
    List<int[]> ranges = Sharding.weighted(n, workers.throughput(pool));
    for (int i = 0; i < ranges.size(); i++) {
      int[] r = ranges.get(i);
      if (r[1] > r[0]) {
        shards.add(r);
        live.add(send(r[0], r[1], pool.get(i), request, attempts));
      }
    }
    Set<Attempt> abandoned = new HashSet<>(); // on a node found unreachable; a late answer may still come
    String lastError = "";
    while (done.size() < shards.size()) {
      awaitAny(live);
      for (Attempt a : List.copyOf(live)) {
        String error;
        if (a.answer().isDone()) {
          live.remove(a);
          WorkerResponse response = answerOrNull(a);
          error = response == null ? failure(a) : checkCount(a, response, resultsPerItem, results);
          if (done.containsKey(a.from())) {
            if (error == null) {
              stats.duplicateDropped(); // a re-issued shard answered twice: the first answer counts
            }
            continue;
          }
          if (error == null) {
            accept(a, response, done, resultsPerItem);
            continue;
          }
        } else if (!abandoned.contains(a) && !workers.directory().reachable(a.worker())) {
          abandoned.add(a);
          error = "its node " + workers.directory().node(a.worker()) + " is unreachable";
          workers.nodeLost(workers.directory().node(a.worker()));
        } else {
          continue;
        }
        lastError = "worker " + a.worker().path() + ": " + error;
        failed.add(a.worker());
        workers.recordThroughput(a.worker(), 0); // fewer items next time, though still one to see if it recovered
        boolean stillRunning = live.stream().anyMatch(o -> o.from() == a.from() && !abandoned.contains(o));
        if (!stillRunning) {
          if (attempts.get(a.from()) >= MAX_ATTEMPTS) {
            throw new WorkerFailure(role.wireName + " shard [" + a.from() + ", " + a.to() + ") failed "
                + MAX_ATTEMPTS + " times; last: " + lastError);
          }
          live.add(send(a.from(), a.to(), pick(pool, failed, live, a, lastError), request, attempts));
          stats.reissued();
          workers.notice("re-issued " + role.wireName + " shard [" + a.from() + ", " + a.to() + ") after "
              + lastError);
        }
      }
    }
    return accountFor(done, n, resultsPerItem, results);
  }

  private void accept(Attempt a, WorkerResponse response, TreeMap<Integer, Done> done, int resultsPerItem) {
    done.put(a.from(), new Done(a.from(), a.to(), response, a.worker()));
    double seconds = (System.nanoTime() - a.startedNanos()) / 1e9;
    workers.recordThroughput(a.worker(), (a.to() - a.from()) / Math.max(seconds, 1e-3));
    stats.served(role.wireName + "@" + workers.directory().node(a.worker()), (a.to() - a.from()) * resultsPerItem);
  }

  private Attempt send(int from, int to, ActorRef<WorkerAsk> worker, ShardRequest request,
      Map<Integer, Integer> attempts) {
    attempts.merge(from, 1, Integer::sum);
    return new Attempt(from, to, worker, workers.client.askAsync(worker, request.build(from, to)), System.nanoTime());
  }

  /** A worker for a re-issued shard: not failed this call, reachable, with the fewest shards in flight. */
  private ActorRef<WorkerAsk> pick(List<ActorRef<WorkerAsk>> pool, Set<ActorRef<WorkerAsk>> failed,
      List<Attempt> live, Attempt shard, String lastError) {
    List<ActorRef<WorkerAsk>> candidates = new ArrayList<>();
    for (ActorRef<WorkerAsk> w : pool) {
      if (!failed.contains(w) && workers.directory().reachable(w)) {
        candidates.add(w);
      }
    }
    if (candidates.isEmpty()) {
      throw new WorkerFailure("no " + role.wireName + " worker left for shard [" + shard.from() + ", " + shard.to()
          + ") of " + pool.size() + "; last error: " + lastError);
    }
    candidates.sort(Comparator.comparingLong(w -> live.stream().filter(a -> a.worker().equals(w)).count()));
    return candidates.get(0);
  }

  /** Returns after any live answer settles or after a short tick, so lost nodes are noticed while others run. */
  private static void awaitAny(List<Attempt> live) {
    if (live.isEmpty()) {
      return;
    }
    try {
      CompletableFuture.anyOf(live.stream().map(Attempt::answer).toArray(CompletableFuture[]::new))
          .get(250, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      // a tick, or a failed answer that the caller inspects
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StageCancelled("interrupted");
    }
  }

  private static WorkerResponse answerOrNull(Attempt a) {
    return a.answer().isCompletedExceptionally() ? null : a.answer().join();
  }

  private static String failure(Attempt a) {
    try {
      a.answer().join();
      return "no answer";
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return cause.getMessage();
    }
  }

  private static String checkCount(Attempt a, WorkerResponse r, int perItem, ToIntFunction<WorkerResponse> results) {
    int expected = (a.to() - a.from()) * perItem;
    int got = results.applyAsInt(r);
    return got == expected ? null : "returned " + got + " results for a shard of " + expected;
  }

  /** Every item exactly once: the done shards tile [0, n) without gap or overlap and hold n * perItem results. */
  private List<Done> accountFor(TreeMap<Integer, Done> done, int n, int perItem,
      ToIntFunction<WorkerResponse> results) {
    int next = 0;
    long count = 0;
    for (Done d : done.values()) {
      if (d.from() != next) {
        throw new IllegalStateException("shards do not tile the items: expected one from " + next + ", got "
            + d.from());
      }
      next = d.to();
      count += results.applyAsInt(d.response());
    }
    if (next != n || count != (long) n * perItem) {
      throw new IllegalStateException("accounted for " + count + " results of " + next + " items, expected "
          + (long) n * perItem + " of " + n);
    }
    return List.copyOf(done.values());
  }
}
