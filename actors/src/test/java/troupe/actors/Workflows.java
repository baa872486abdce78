package troupe.actors;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.WorkflowEvent;
import troupe.v1.WorkflowSpec;

/** Test helpers: tiny workflows and a way to collect a workflow's events until it ends. */
final class Workflows {
  private Workflows() {}

  /** A model and task small enough to train in seconds on 2 cores. */
  static final String TINY = """
      name: tiny
      seed: 7
      model: {layers: 1, d_model: 32, heads: 2, d_ff: 64, max_seq_len: 16}
      task: {kind: reverse, min_digits: 3, max_digits: 4, labelled_size: 64, eval_size: 16}
      eval: {every_steps: 100, samples_shown: 1}
      runtime: {ask_timeout_seconds: 60, worker_wait_seconds: 20}
      """;

  static WorkflowSpec tiny(String stages) {
    return WorkflowYaml.parse(TINY + stages);
  }

  /**
   * The tiny workflow with a model big enough that 200 SFT steps leave about half the answers right, so RL and
   * preference stages see mixed groups.
   */
  static WorkflowSpec small(String stages) {
    WorkflowSpec spec = tiny(stages);
    return spec.toBuilder().setModel(spec.getModel().toBuilder().setLayers(2).setDModel(64).setDFf(128))
        .setTask(spec.getTask().toBuilder().setLabelledSize(300)).build();
  }

  /** Submits and waits for the terminal event; returns every event in order. */
  static List<WorkflowEvent> run(TroupeNode node, WorkflowSpec spec, Duration limit) throws Exception {
    String id = node.submit(spec).toCompletableFuture().get(10, TimeUnit.SECONDS).getWorkflowId();
    return watch(node, id, limit);
  }

  static List<WorkflowEvent> watch(TroupeNode node, String id, Duration limit) throws Exception {
    List<WorkflowEvent> events = new ArrayList<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    node.watch(id, 0, e -> {
      synchronized (events) {
        events.add(e);
      }
      if (WatchForwarder.isTerminal(e)) {
        ended.complete(null);
      }
      return true;
    });
    try {
      ended.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      fail("workflow " + id + " did not end within " + limit + "; events: " + events);
    }
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }

  static WorkflowEvent last(List<WorkflowEvent> events) {
    return events.get(events.size() - 1);
  }
}
