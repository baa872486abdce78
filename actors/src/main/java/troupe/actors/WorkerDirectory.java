package troupe.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The workers of each role that the Receptionist knows of right now, and which cluster nodes are unreachable, kept
 * current by {@link #watcher}. Stage loops read it at every step, so workers that join are used from the next step
 * on, and workers on a node that stopped answering are not asked (the Receptionist still lists them until the Split
 * Brain Resolver has downed the node, which takes longer).
 */
public final class WorkerDirectory {
  private final Map<WorkerRole, List<ActorRef<WorkerAsk>>> current = new EnumMap<>(WorkerRole.class);
  private final Set<Address> unreachable = new HashSet<>();
  private Address self;

  /** The registered workers of a role on reachable nodes, in a stable order (same shards, same seeds). */
  public synchronized List<ActorRef<WorkerAsk>> workers(WorkerRole role) {
    return current.getOrDefault(role, List.of()).stream().filter(this::reachable).toList();
  }

  /**
   * True while a worker is out of the Receptionist but its node still answers: the node is stopping gracefully and
   * drains it ({@link Drain}). A crashed node's workers stay listed until it is downed, and are unreachable.
   */
  public synchronized boolean leaving(WorkerRole role, ActorRef<?> worker) {
    return !current.getOrDefault(role, List.of()).contains(worker) && reachable(worker);
  }

  /** The cluster node a worker runs on, as host:port (local actor refs carry no host; they are on this node). */
  public synchronized String node(ActorRef<?> worker) {
    Address a = worker.path().address();
    Address node = a.hasGlobalScope() || self == null ? a : self;
    return node.getHost().orElse("local") + ":" + node.getPort().orElse(0);
  }

  /** False once the failure detector marks the worker's node unreachable (a crash, a kill -9, a partition). */
  public synchronized boolean reachable(ActorRef<?> worker) {
    Address a = worker.path().address();
    return !a.hasGlobalScope() || !unreachable.contains(a);
  }

  synchronized void update(WorkerRole role, Set<ActorRef<WorkerAsk>> workers) {
    List<ActorRef<WorkerAsk>> sorted = new ArrayList<>(workers);
    sorted.sort(Comparator.comparing(ref -> ref.path().toString()));
    current.put(role, List.copyOf(sorted));
    notifyAll();
  }

  synchronized void reachability(Address node, boolean isReachable) {
    if (isReachable) {
      unreachable.remove(node);
    } else {
      unreachable.add(node);
    }
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

  /**
   * An actor that subscribes to every role's key and to the cluster's reachability events and mirrors both into
   * the directory.
   */
  public static Behavior<Object> watcher(WorkerDirectory directory) {
    return Behaviors.setup(ctx -> {
      for (WorkerRole role : WorkerRole.values()) {
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(role.key, ctx.getSelf().narrow()));
      }
      Cluster cluster = Cluster.get(ctx.getSystem());
      synchronized (directory) {
        directory.self = cluster.selfMember().address();
      }
      cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.ReachabilityEvent.class));
      cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberEvent.class));
      return Behaviors.receive(Object.class)
          .onMessage(Receptionist.Listing.class, listing -> {
            for (WorkerRole role : WorkerRole.values()) {
              if (listing.isForKey(role.key)) {
                directory.update(role, listing.getServiceInstances(role.key));
              }
            }
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.UnreachableMember.class, e -> {
            directory.reachability(e.member().address(), false);
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.ReachableMember.class, e -> {
            directory.reachability(e.member().address(), true);
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberRemoved.class, e -> {
            directory.reachability(e.member().address(), false); // its listings may lag behind the removal
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberUp.class, e -> {
            directory.reachability(e.member().address(), true); // a restarted node on the same address
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberEvent.class, e -> Behaviors.same())
          .build();
    });
  }
}
