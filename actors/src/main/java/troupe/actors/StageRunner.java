package troupe.actors;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs one stage's loop on the stage dispatcher (it blocks on worker asks, so it must stay off the default
 * dispatcher) and reports the outcome to its orchestrator. Cancel sets a flag the loop checks at every step.
 */
final class StageRunner {
  private StageRunner() {}

  interface Command {}

  record Cancel() implements Command {}

  private record Finished(Integer steps, Throwable failure) implements Command {}

  static Behavior<Command> create(StageLoop loop, StageContext context, AtomicBoolean cancelled,
      ActorRef<Orchestrator.Command> orchestrator) {
    return Behaviors.setup(ctx -> {
      Executor executor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("troupe.stage-dispatcher"));
      ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
        try {
          context.beginStage();
          return loop.run(context);
        } catch (StageCancelled | StatefulWorkerLost known) {
          throw known; // a stateful worker that is leaving (StageContext.checkCancelled): nothing to find out
        } catch (RuntimeException e) {
          // Told apart here, on the stage's thread, since finding out may take a ping and a wait.
          StatefulWorkerLost lost = cancelled.get() || context.workers.stopping() ? null
              : context.workers.statefulLoss(e);
          throw lost == null ? e : lost;
        }
      }, executor), Finished::new);
      return Behaviors.receive(Command.class)
          .onMessage(Cancel.class, c -> {
            cancelled.set(true);
            return Behaviors.same();
          })
          .onMessage(Finished.class, f -> {
            Throwable failure = f.failure();
            while (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null) {
              failure = failure.getCause();
            }
            orchestrator.tell(new Orchestrator.StageEnded(context.stageIndex, f.steps() == null ? 0 : f.steps(),
                failure));
            return Behaviors.stopped();
          })
          .build();
    });
  }
}
