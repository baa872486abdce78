package troupe.actors;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import troupe.diffusion.image.ImageTensors;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.reward.ImageReward;
import troupe.trainers.tasks.ExactMatchReward;
import troupe.v1.RewardDetail;
import troupe.v1.RewardTerm;
import troupe.v1.ScoreImagesRequest;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreRequest;
import troupe.v1.ScoreResponse;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * Scores completions or images with the workflow's reward, and reports the verifier's raw pass/fail separately from
 * the shaped reward. An image whose reward throws scores 0 with its reason; the orchestrator decides whether the
 * batch can go on.
 */
public final class RewardWorker {
  private static final Logger LOG = LoggerFactory.getLogger(RewardWorker.class);

  private RewardWorker() {}

  public static Behavior<WorkerAsk> create() {
    return Workers.behavior(WorkerRole.REWARD, name -> {
      RewardModels models = new RewardModels();
      RemoteRewards remote = new RemoteRewards();
      return request -> switch (request.getKindCase()) {
        case SCORE -> WorkerResponse.newBuilder().setScores(score(request, models, remote));
        case SCORE_IMAGES -> WorkerResponse.newBuilder().setScores(scoreImages(request.getScoreImages()));
        case INIT_MODEL -> Workers.ack(0); // rule rewards are stateless; reward models stay cached
        case RELEASE -> {
          remote.release(request.getWorkflowId());
          yield Workers.ack(0);
        }
        default -> throw Workers.unsupported(WorkerRole.REWARD, request);
      };
    });
  }

  /** A remote reward is the service's to compute; the others are computed here. */
  static ScoreResponse score(WorkerRequest request, RewardModels models, RemoteRewards remote) {
    ScoreRequest score = request.getScore();
    return score.getReward().getKind().equals("remote")
        ? remote.score(request.getWorkflowId(), score.getReward(), score.getItemsList()) : score(score, models);
  }

  /**
   * exact_match: the configured reward for a right or wrong answer. model: the reward model's score. Either way the
   * verifier's pass/fail is reported too (when the item has an answer), so accuracy stays measurable.
   */
  static ScoreResponse score(ScoreRequest request, RewardModels models) {
    String kind = request.getReward().getKind();
    ScoreResponse.Builder b = ScoreResponse.newBuilder();
    for (ScoreItem item : request.getItemsList()) {
      boolean correct = ExactMatchReward.isCorrect(item.getCompletion(), item.getAnswer());
      b.addCorrect(correct);
      if (kind.equals("exact_match")) {
        b.addRewards(correct ? request.getReward().getCorrect() : request.getReward().getWrong());
      }
    }
    if (kind.equals("model")) {
      for (float score : models.get(request.getCheckpointPath(), request.getModel()).score(request.getItemsList())) {
        b.addRewards(score);
      }
    } else if (!kind.equals("exact_match")) {
      throw new IllegalArgumentException("reward.kind \"" + kind + "\" is not known here; allowed: exact_match, "
          + "model, remote");
    }
    return b.build();
  }

  static ScoreResponse scoreImages(ScoreImagesRequest request) {
    List<ImageReward.Term> terms = new ArrayList<>();
    for (RewardTerm t : request.getReward().getTermsList()) {
      terms.add(new ImageReward.Term(t.getName(), t.getWeight()));
    }
    ImageReward reward = new ImageReward(terms);
    List<RgbImage> images = ImageTensors.fromTensor(request.getImages());
    if (images.size() != request.getPromptsCount()) {
      throw new IllegalArgumentException(images.size() + " images for " + request.getPromptsCount() + " prompts");
    }
    ScoreResponse.Builder b = ScoreResponse.newBuilder();
    for (int i = 0; i < images.size(); i++) {
      ImageReward.Scored s = reward.score(request.getPrompts(i), images.get(i));
      RewardDetail.Builder detail = RewardDetail.newBuilder().putAllChecks(s.checks());
      if (s.failure() != null) {
        LOG.warn("image {} (\"{}\") could not be scored: {}", i, request.getPrompts(i), s.failure());
        detail.setFailure(s.failure());
      }
      b.addRewards((float) s.reward()).addCorrect(s.correct()).addDetails(detail);
    }
    return b.build();
  }
}
