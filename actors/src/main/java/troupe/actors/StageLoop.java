package troupe.actors;

/** The body of one stage: runs on a stage thread, talks to workers through the context, returns the steps run. */
interface StageLoop {
  int run(StageContext context);

  static StageLoop of(troupe.v1.StageSpec stage) {
    return switch (stage.getAlgorithmCase()) {
      case SFT -> new SftStage();
      case GRPO, DR_GRPO, DAPO, RLOO, REINFORCE_PP, REINFORCE_PP_BASELINE, GSPO, PPO -> new RlStage();
      case FLOW_PRETRAIN -> new FlowPretrainStage();
      case FLOW_GRPO -> new FlowGrpoStage();
      case EVAL -> new EvalStage();
      case DPO -> new DpoStage();
      case REWARD_MODEL -> new RewardModelStage();
      case GENERATE_PREFERENCES -> new GeneratePreferencesStage();
      default -> throw new IllegalArgumentException("stage " + stage.getName() + " has no algorithm");
    };
  }
}
