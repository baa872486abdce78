package troupe.actors;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker node that stops gracefully (SIGTERM, Ctrl-C, {@link TroupeNode#close}) hands the workflows' policies and
 * critics it holds over before it goes, so they lose no step: a CoordinatedShutdown task takes those workers out
 * of the Receptionist while the node still answers (each orchestrator sees that, saves a resume point at the end of
 * its current step and goes on from it on another node, see {@link WorkflowWorkers#leaving}) and then waits until
 * every workflow has released its session here, at most {@code troupe.drain-timeout}. It stops waiting when no
 * server is left to move them (it stopped first); a node that was downed does not drain, as the others have
 * already given it up.
 */
final class Drain {
  private static final Logger LOG = LoggerFactory.getLogger(Drain.class);

  private final List<Sessions<?>> held = new CopyOnWriteArrayList<>();

  /** Counts the sessions of a stateful worker of this node in what the drain waits for. */
  <T extends AutoCloseable> Sessions<T> track(Sessions<T> sessions) {
    held.add(sessions);
    return sessions;
  }

  /** No workflow holds a policy or critic session on this node. */
  boolean idle() {
    return held.stream().allMatch(Sessions::isEmpty);
  }

  /** Runs the drain first when the node stops (before-service-unbind: nothing else has begun to stop yet). */
  void register(ActorSystem<?> system, Map<WorkerRole, ActorRef<WorkerAsk>> stateful) {
    Duration timeout = system.settings().config().getDuration("troupe.drain-timeout");
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "drain-stateful-workers",
        () -> {
          if (downed(system)) {
            return CompletableFuture.completedFuture(Done.getInstance()); // the cluster counts it as lost already
          }
          stateful.forEach((role, worker) -> system.receptionist().tell(Receptionist.deregister(role.key, worker)));
          if (idle()) {
            return CompletableFuture.completedFuture(Done.getInstance()); // an idle node stops at once
          }
          LOG.info("this node holds workflows' policies or critics; waiting up to {} s until they moved elsewhere",
              timeout.toSeconds());
          return CompletableFuture.supplyAsync(() -> await(system, timeout),
              system.dispatchers().lookup(DispatcherSelector.blocking()));
        });
  }

  /** Until every session is released, or no server is left to release them (it stopped first), or the timeout. */
  private Done await(ActorSystem<?> system, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!idle() && ServerWatch.serverUp(system)) {
      if (System.nanoTime() > deadline) {
        LOG.warn("drain timeout ({} s) passed with sessions still held here; stopping anyway", timeout.toSeconds());
        break;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return Done.getInstance();
  }

  private static boolean downed(ActorSystem<?> system) {
    return CoordinatedShutdown.get(system).getShutdownReason()
        .filter(r -> r == CoordinatedShutdown.clusterDowningReason()).isPresent();
  }
}
