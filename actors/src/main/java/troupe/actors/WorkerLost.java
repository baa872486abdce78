package troupe.actors;

import org.apache.pekko.actor.typed.ActorRef;

/** A worker's node became unreachable while the worker was asked: it will not answer, and its state is gone. */
public final class WorkerLost extends WorkerFailure {
  final String node;

  WorkerLost(ActorRef<?> worker, String node) {
    super("worker " + worker.path() + ": its node " + node + " is unreachable");
    this.node = node;
  }
}
