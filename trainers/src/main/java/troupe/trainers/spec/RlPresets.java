package troupe.trainers.spec;

import java.util.List;
import troupe.v1.RlConfig;
import troupe.v1.StageSpec;

/**
 * The online RL algorithms as named presets of parts (DESIGN.md "registries and presets"). A stage picks one by its
 * field name (`grpo:`, `dapo:`, `ppo:` ...); every part the user leaves out takes the preset's value, so a preset is
 * only a list of defaults and any part can be overridden. Defaults follow algorithms.md sections 2, 4, 5 and 7,
 * scaled to a small model on 2 CPU cores (learning rate 1e-4 instead of 1e-6, short answers).
 */
public final class RlPresets {
  public static final List<String> NAMES =
      List.of("grpo", "dr_grpo", "dapo", "rloo", "reinforce_pp", "reinforce_pp_baseline", "gspo", "ppo");
  public static final List<String> KL_PLACEMENTS = List.of("loss", "reward", "none");
  public static final List<String> CRITIC_INITS = List.of("policy", "fresh", "none");

  private RlPresets() {}

  /** True for the stages of online RL on text. */
  public static boolean isRl(StageSpec s) {
    return NAMES.contains(algorithm(s));
  }

  /** The stage's algorithm: its oneof field name ("sft", "grpo", "flow_pretrain", ...). */
  public static String algorithm(StageSpec s) {
    return s.getAlgorithmCase() == StageSpec.AlgorithmCase.ALGORITHM_NOT_SET
        ? "" : s.getAlgorithmCase().name().toLowerCase();
  }

  /** The RL config of an RL stage, whichever preset it names. */
  public static RlConfig config(StageSpec s) {
    return switch (s.getAlgorithmCase()) {
      case GRPO -> s.getGrpo();
      case DR_GRPO -> s.getDrGrpo();
      case DAPO -> s.getDapo();
      case RLOO -> s.getRloo();
      case REINFORCE_PP -> s.getReinforcePp();
      case REINFORCE_PP_BASELINE -> s.getReinforcePpBaseline();
      case GSPO -> s.getGspo();
      case PPO -> s.getPpo();
      default -> throw new IllegalArgumentException("stage " + s.getName() + " is not an RL stage");
    };
  }

  /** Sets the RL config of an RL stage builder, under the preset it already names. */
  public static StageSpec.Builder withConfig(StageSpec.Builder b, RlConfig c) {
    return switch (b.getAlgorithmCase()) {
      case GRPO -> b.setGrpo(c);
      case DR_GRPO -> b.setDrGrpo(c);
      case DAPO -> b.setDapo(c);
      case RLOO -> b.setRloo(c);
      case REINFORCE_PP -> b.setReinforcePp(c);
      case REINFORCE_PP_BASELINE -> b.setReinforcePpBaseline(c);
      case GSPO -> b.setGspo(c);
      case PPO -> b.setPpo(c);
      default -> throw new IllegalArgumentException("stage " + b.getName() + " is not an RL stage");
    };
  }

  /** The user's config with every part left out taken from the preset. */
  static RlConfig apply(String preset, RlConfig user) {
    RlConfig c = defaults(preset).toBuilder().mergeFrom(user).build();
    RlConfig.Builder b = c.toBuilder();
    if (!user.hasCriticLearningRate()) {
      b.setCriticLearningRate(10 * c.getLearningRate()); // the critic learns faster than the actor (verl: 10x)
    }
    if (!user.hasOverlongBuffer() && preset.equals("dapo")) {
      // DAPO punishes the last 4096 of 20480 tokens: the same fifth of the budget here.
      b.setOverlongBuffer(Math.max(1, Math.round(0.2f * c.getMaxNewTokens())));
    }
    return b.build();
  }

  /** The preset's value of every part; shared values first, then what sets each algorithm apart. */
  static RlConfig defaults(String preset) {
    RlConfig.Builder b = RlConfig.newBuilder()
        .setSteps(100).setPromptsPerStep(16).setGroupSize(16).setLearningRate(1e-4f).setWarmupSteps(10)
        .setMaxGradNorm(1f).setUpdatesPerBatch(1).setTemperature(1f).setTopP(1f).setMaxNewTokens(6)
        .setMaxSeconds(0f).setMaxBadSteps(3)
        .setAdvantageEstimator("grpo").setStdEps(1e-4f).setStdUnbiased(true).setGamma(1f).setGaeLambda(1f)
        .setPolicyLoss("ppo_clip").setClipLow(0.2f).setClipHigh(0.2f).setDualClipC(3f).setLogRatioClamp(20f)
        .setLossAgg("token-mean")
        .setKlPlacement("loss").setKlEstimator("k3").setKlBeta(0.02f).setKlController("fixed").setKlTarget(0.1f)
        .setKlHorizon(10_000).setEntropyCoef(0f).setWhitenRewards(false)
        .setDynamicSampling(false).setMaxGenerationRounds(10)
        .setOverlongFilter(false).setOverlongBuffer(0).setOverlongPenalty(1f)
        .setCriticInit("none").setValueClip(0.2f).setCriticWarmupSteps(0);
    switch (preset) {
      case "grpo" -> { } // section 4: group-normalised advantages, k3 KL in the loss
      case "dr_grpo" -> // section 4.7: no std, token sum over a constant, no KL
          b.setAdvantageEstimator("dr_grpo").setLossAgg("seq-mean-token-sum-norm").setKlPlacement("none")
              .setKlBeta(0f);
      case "dapo" -> // section 5.3 (verl recipe): clip-higher, dual-clip 10, token-mean, no KL, dynamic sampling
          b.setClipHigh(0.28f).setPolicyLoss("dual_clip").setDualClipC(10f).setKlPlacement("none").setKlBeta(0f)
              .setDynamicSampling(true).setOverlongFilter(true);
      case "rloo" -> // section 7.1: leave-one-out baseline, k1 KL folded into the sequence reward
          b.setAdvantageEstimator("rloo").setKlPlacement("reward").setKlEstimator("k1");
      case "reinforce_pp" -> // section 7.2: k1 KL in the token rewards, discounted return, batch whitening
          b.setAdvantageEstimator("reinforce_pp").setKlPlacement("reward").setKlEstimator("k1");
      case "reinforce_pp_baseline" -> // section 7.2: group mean subtracted first; k2 KL as a loss (OpenRLHF)
          b.setAdvantageEstimator("reinforce_pp_baseline").setKlEstimator("k2");
      case "gspo" -> // section 7.6: sequence ratio, tiny clip band, seq-mean, no KL; reused batch so clip acts
          b.setPolicyLoss("gspo").setClipLow(3e-4f).setClipHigh(4e-4f).setLossAgg("seq-mean-token-mean")
              .setKlPlacement("none").setKlBeta(0f).setUpdatesPerBatch(2);
      case "ppo" -> // section 2: critic + GAE, k1 KL penalty per token in the reward, clipped value loss
          b.setAdvantageEstimator("gae").setGaeLambda(0.95f).setKlPlacement("reward").setKlEstimator("k1")
              .setCriticInit("policy").setUpdatesPerBatch(2);
      default -> throw new IllegalArgumentException("unknown RL preset \"" + preset + "\"; allowed: "
          + String.join(", ", NAMES));
    }
    return b.build();
  }
}
