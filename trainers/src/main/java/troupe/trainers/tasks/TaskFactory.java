package troupe.trainers.tasks;

import java.nio.file.Path;
import java.util.List;
import troupe.v1.TaskSpec;

/** Builds the {@link Task} a workflow's {@code task} section names. */
public final class TaskFactory {

    private static final List<String> KINDS = List.of("addition", "reverse", "sort", "jsonl");

    private TaskFactory() {
    }

    /** The accepted values of {@code task.kind}. */
    public static List<String> kinds() {
        return KINDS;
    }

    /**
     * The task of a spec whose defaults are already filled in. {@code min_digits}/{@code max_digits} are operand
     * digit counts for addition and string lengths for reverse and sort.
     *
     * @param seed fixes the held-out set of procedural tasks
     * @throws IllegalArgumentException for an unknown kind or parameters the task rejects
     */
    public static Task create(TaskSpec spec, long seed) {
        String kind = spec.getKind();
        return switch (kind) {
            case "addition" -> new AdditionTask(spec.getMinDigits(), spec.getMaxDigits(), spec.getEvalSize(), seed);
            case "reverse" -> new ReverseTask(spec.getMinDigits(), spec.getMaxDigits(), spec.getEvalSize(), seed);
            case "sort" -> new SortTask(spec.getMinDigits(), spec.getMaxDigits(), spec.getEvalSize(), seed);
            case "jsonl" -> jsonl(spec);
            default -> throw new IllegalArgumentException("task.kind: unknown \"" + kind + "\"; allowed: "
                    + String.join(", ", KINDS));
        };
    }

    private static Task jsonl(TaskSpec spec) {
        if (spec.getTrainFile().isEmpty()) {
            throw new IllegalArgumentException("task.train_file: required for task.kind jsonl");
        }
        Path evalFile = spec.getEvalFile().isEmpty() ? null : Path.of(spec.getEvalFile());
        return new JsonlTask(Path.of(spec.getTrainFile()), evalFile);
    }
}
