package troupe.actors;

import org.apache.pekko.actor.typed.Behavior;
import troupe.trainers.tasks.ExactMatchReward;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreRequest;
import troupe.v1.ScoreResponse;
import troupe.v1.WorkerResponse;

/** Scores completions with the workflow's reward function; also reports the verifier's raw pass/fail. */
public final class RewardWorker {
  private RewardWorker() {}

  public static Behavior<WorkerAsk> create() {
    return Workers.behavior(WorkerRole.REWARD, name -> request -> switch (request.getKindCase()) {
      case SCORE -> WorkerResponse.newBuilder().setScores(score(request.getScore()));
      case INIT_MODEL, RELEASE -> Workers.ack(0); // stateless: nothing to build or free
      default -> throw Workers.unsupported(WorkerRole.REWARD, request);
    });
  }

  static ScoreResponse score(ScoreRequest request) {
    if (!request.getReward().getKind().equals("exact_match")) {
      throw new IllegalArgumentException("reward.kind \"" + request.getReward().getKind() + "\" is not known here");
    }
    ScoreResponse.Builder b = ScoreResponse.newBuilder();
    for (ScoreItem item : request.getItemsList()) {
      boolean correct = ExactMatchReward.isCorrect(item.getCompletion(), item.getAnswer());
      b.addCorrect(correct);
      b.addRewards(correct ? request.getReward().getCorrect() : request.getReward().getWrong());
    }
    return b.build();
  }
}
