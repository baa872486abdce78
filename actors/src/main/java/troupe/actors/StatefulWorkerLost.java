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

  StatefulWorkerLost(String role, String node, Throwable failure) {
    super("the node " + node + " holding the " + role + " was lost (" + failure.getMessage() + ")");
    this.role = role;
    this.node = node;
  }
}
