package troupe.actors;

/**
 * A stage failed because the node of a worker that holds the workflow's training state (the policy, the critic or
 * reward model in training) was lost: the state is gone with it, but a resume point has a copy, so the workflow
 * can go back to that point on the nodes that are left (see {@code Orchestrator}). Any other failure ends the
 * workflow.
 */
final class StatefulWorkerLost extends WorkerFailure {
  final String role;
  final String node;
  final boolean leaving; // the node stops gracefully: the stage saved a point at this very step, nothing is lost

  StatefulWorkerLost(String role, String node, Throwable failure) {
    this(role, node, "the node " + node + " holding the " + role + " was lost (" + failure.getMessage() + ")", false);
  }

  private StatefulWorkerLost(String role, String node, String message, boolean leaving) {
    super(message);
    this.role = role;
    this.node = node;
    this.leaving = leaving;
  }

  /** The worker's node is leaving the cluster and drains it ({@link Drain}); its state still answers. */
  static StatefulWorkerLost leaving(String role, String node) {
    return new StatefulWorkerLost(role, node, "the node " + node + " holding the " + role + " is leaving", true);
  }
}
