package troupe.actors;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * On a worker node: once no server is left in the cluster (it stopped, or was downed after a crash), the node stops
 * too. A Pekko node joins a cluster once, so it could never join the server that comes back; `troupe worker` then
 * starts a fresh node that joins its seed nodes again, and the workers return with the server by themselves.
 */
final class ServerWatch {
  private ServerWatch() {}

  static Behavior<ClusterEvent.MemberEvent> create() {
    return Behaviors.setup(ctx -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberEvent.class));
      return Behaviors.receive(ClusterEvent.MemberEvent.class)
          .onMessage(ClusterEvent.MemberRemoved.class, removed -> {
            if (removed.member().hasRole("server") && !serverUp(ctx.getSystem())) {
              ctx.getLog().warn("the server {} left the cluster; this worker node stops so that a new one can join "
                  + "the next server", removed.member().address());
              ctx.getSystem().terminate();
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  /** A reachable member with the server role, where the orchestrators run, is up. */
  static boolean serverUp(ActorSystem<?> system) {
    var state = Cluster.get(system).state();
    for (Member m : state.getMembers()) {
      if (m.hasRole("server") && m.status() == MemberStatus.up() && !state.getUnreachable().contains(m)) {
        return true;
      }
    }
    return false;
  }
}
