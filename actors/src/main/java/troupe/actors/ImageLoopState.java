package troupe.actors;

import java.util.Random;
import troupe.v1.LoopState;

/**
 * What an image stage's loop (flow_pretrain, flow_grpo) carries from step to step, the step and the one Random its
 * images or prompts come from, and its resume points. On a fresh start the stream is seeded and the step is 0; after
 * a restart mid-stage the policy, the stream and the stage's elapsed time come back from the resume point, so the
 * loop goes on with the next step as an uninterrupted run would. Everything else a step uses is fixed by the spec
 * and the step number (sampling seeds, evaluation prompts), and the rollout workers hold nothing but weights.
 */
final class ImageLoopState {
  private final StageContext c;
  private final Random random;
  private final int step;

  private ImageLoopState(StageContext c, Random random, int step) {
    this.c = c;
    this.random = random;
    this.step = step;
  }

  /**
   * The loop's state as the stage begins or resumes. Call it after whatever the stage builds from the policy as the
   * stage started (Flow-GRPO's KL reference): a resume moves the policy on to the point.
   */
  static ImageLoopState begin(StageContext c, long seed) {
    LoopState saved = c.resumeMidStage();
    return saved == null ? new ImageLoopState(c, new Random(seed), 0)
        : new ImageLoopState(c, RandomState.load(saved.getRandomState()), saved.getStep());
  }

  Random random() {
    return random;
  }

  /** The steps already done: 0 on a fresh start, else the point's step (its evaluations happened before). */
  int step() {
    return step;
  }

  /** A resume point after {@code done} steps every resume_every_steps, but not after the last: the stage ends there. */
  void afterStep(int done, int totalSteps) {
    if (c.resumePointDue(done, totalSteps)) {
      c.saveResumePoint(LoopState.newBuilder().setStep(done).setRandomState(RandomState.save(random)));
    }
  }
}
