package troupe.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The workers of each role that the Receptionist knows of right now, kept current by {@link #watcher}. Stage loops
 * read it at every step, so workers that join are used from the next step on and workers that leave are not asked.
 */
public final class WorkerDirectory {
  private final Map<WorkerRole, List<ActorRef<WorkerAsk>>> current = new EnumMap<>(WorkerRole.class);

  public synchronized List<ActorRef<WorkerAsk>> workers(WorkerRole role) {
    return current.getOrDefault(role, List.of());
  }

  synchronized void update(WorkerRole role, Set<ActorRef<WorkerAsk>> workers) {
    List<ActorRef<WorkerAsk>> sorted = new ArrayList<>(workers);
    sorted.sort(Comparator.comparing(ref -> ref.path().toString())); // a stable order: same shards, same seeds
    current.put(role, List.copyOf(sorted));
    notifyAll();
  }

  /** Waits until at least {@code min} workers of a role are registered; fails with a message saying what to do. */
  public synchronized List<ActorRef<WorkerAsk>> await(WorkerRole role, int min, Duration timeout,
      BooleanSupplier cancelled) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (workers(role).size() < min) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("waited " + timeout.toSeconds() + " s for " + min + " " + role.wireName
            + " worker(s), found " + workers(role).size() + "; start one with `troupe worker --roles "
            + role.wireName + " --seed-nodes HOST:PORT` or check runtime.worker_wait_seconds");
      }
      if (cancelled.getAsBoolean()) {
        throw new StageCancelled("cancelled while waiting for " + role.wireName + " workers");
      }
      wait(Math.min(200, Math.max(1, left / 1_000_000)));
    }
    return workers(role);
  }

  /** An actor that subscribes to every role's key and mirrors the listings into the directory. */
  public static Behavior<Receptionist.Listing> watcher(WorkerDirectory directory) {
    return Behaviors.setup(ctx -> {
      for (WorkerRole role : WorkerRole.values()) {
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(role.key, ctx.getSelf()));
      }
      return Behaviors.receive(Receptionist.Listing.class)
          .onMessage(Receptionist.Listing.class, listing -> {
            for (WorkerRole role : WorkerRole.values()) {
              if (listing.isForKey(role.key)) {
                directory.update(role, listing.getServiceInstances(role.key));
              }
            }
            return Behaviors.same();
          })
          .build();
    });
  }
}
