package troupe.trainers.spec;

/**
 * The upper bounds of a workflow spec, in one place. Each is generous for a run on one CPU or GPU machine, and keeps
 * a single workflow from exhausting a server that runs several ({@code --max-workflows}). The validator checks every
 * field against them and, because fields that are each in range can still multiply into too much, checks the
 * estimates of {@link CostChecks} too. The seed may be any 64-bit integer: it only seeds random generators.
 */
public final class SpecLimits {
  private SpecLimits() {}

  // ---- models (text and image)

  /** Deeper than GPT-2 XL (48 layers); memory is bounded by MAX_PARAMETERS and MAX_STEP_BYTES anyway. */
  public static final int MAX_LAYERS = 64;
  /** The width of a 7B-parameter model; a model this wide only fits with few layers (MAX_PARAMETERS). */
  public static final int MAX_D_MODEL = 4096;
  public static final int MAX_HEADS = 64;
  /** Four times MAX_D_MODEL, the usual MLP ratio. */
  public static final int MAX_D_FF = 16_384;
  /** Character tokens; attention memory grows with its square. */
  public static final int MAX_SEQ_LEN = 4096;
  /**
   * Weights, gradients and two AdamW moments take 16 bytes a parameter, and the policy, reference and rollout
   * workers each hold a copy: 50M parameters are about 2 GiB, with 200 MB checkpoints.
   */
  public static final long MAX_PARAMETERS = 50_000_000;
  /** Pixels per side; the DiT works in pixel space, so its tokens grow with the square. */
  public static final int MAX_IMAGE_SIZE = 1024;
  /** A learning rate above 1 moves every weight by more than its size in the first AdamW step. */
  public static final float MAX_LEARNING_RATE = 1f;

  // ---- tasks and data

  /** The longest operand or digit string the procedural tasks generate (their sizes fit in a long). */
  public static final int MAX_TASK_DIGITS = 18;
  /** Labelled examples are generated and held in memory (about 200 bytes each). */
  public static final int MAX_LABELLED_SIZE = 1_000_000;
  /** Held-out prompts (generated, or a jsonl task's) are made at submission and decoded together at evaluations. */
  public static final int MAX_EVAL_SIZE = 100_000;
  /** A jsonl task's files are read whole into memory at submission (several times their size, as Java strings). */
  public static final long MAX_TASK_FILE_BYTES = 64L << 20;
  /** Lines a stage may skip; a file with more bad lines is the wrong file. */
  public static final int MAX_BAD_LINES = 1_000_000;
  /** Rewards enter squared into group statistics, which must stay finite in float. */
  public static final float MAX_ABS_REWARD = 1e6f;
  /** One call to a remote reward; a scorer slower than 10 minutes per batch needs a smaller max_batch. */
  public static final int MAX_REWARD_TIMEOUT_SECONDS = 600;
  /** Items in one call to a remote reward: a larger request would near gRPC's default 4 MiB message size. */
  public static final int MAX_REWARD_BATCH = 4096;

  // ---- stages

  /**
   * The events of every step stay in memory while a workflow runs. Stages that should run until max_seconds set
   * steps to this.
   */
  public static final int MAX_STEPS = 100_000;
  /** Sequences (or pairs, or images) in one optimizer step. */
  public static final int MAX_BATCH_SIZE = 65_536;
  public static final int MAX_PROMPTS_PER_STEP = 4096;
  public static final int MAX_GROUP_SIZE = 1024;
  /** Completions sampled per prompt by eval and generate_preferences stages and image evaluations. */
  public static final int MAX_SAMPLES_PER_PROMPT = 1024;
  /** Prompts sampled by a generate_preferences stage; each is at most one line of its output file. */
  public static final int MAX_PREFERENCE_PROMPTS = 1_000_000;
  /** Prompts a generate_preferences stage samples in one call: bounds the memory of one rollout batch. */
  public static final int PREFERENCE_PROMPTS_PER_CALL = 64;
  /** Passes over one rollout batch; each is a full forward and backward. */
  public static final int MAX_UPDATES_PER_BATCH = 64;
  /** Rounds of regeneration dynamic sampling may run before a step fails. */
  public static final int MAX_GENERATION_ROUNDS = 100;
  /** Samples over which an adaptive KL coefficient may change by 20%. */
  public static final int MAX_KL_HORIZON = 100_000_000;
  /** Denoising steps of image sampling; each is a forward pass over every image. */
  public static final int MAX_SAMPLING_STEPS = 1000;
  /** Held-out image prompts scored at each evaluation. */
  public static final int MAX_IMAGE_EVAL_PROMPTS = 4096;
  /** Images per prompt in an evaluation's PNG grid. */
  public static final int MAX_GRID_SAMPLES = 64;

  // ---- workflow-wide

  public static final int MAX_STAGES = 100;
  /** Sample completions sent with each evaluation event. */
  public static final int MAX_SAMPLES_SHOWN = 100;
  /** One day; longer waits hide a stuck worker. */
  public static final int MAX_WAIT_SECONDS = 86_400;
  /** Each resume point holds the weights and the optimizer state: 12 bytes a parameter on disk. */
  public static final int MAX_KEEP_RESUME_POINTS = 100;
  /** A policy node lost more often than this is a cluster problem that going back again will not fix. */
  public static final int MAX_RECOVERIES = 100;
  /** More workers of a role than a cluster would have; the orchestrator waits for them. */
  public static final int MAX_MIN_WORKERS = 1024;

  // ---- combinations (CostChecks)

  /** One step's tensors: the activations of a forward and backward pass, or of sampling a batch. */
  public static final long MAX_STEP_BYTES = 4L << 30;
  /** Image trajectories travel as one protobuf message, which holds at most 2 GiB. */
  public static final long MAX_TRAJECTORY_BYTES = 1L << 30;
  /** Checkpoints and resume points one workflow may write. */
  public static final long MAX_DISK_BYTES = 64L << 30;
}
