package troupe.trainers.tasks;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A task read from JSON Lines files: one object per line with string fields {@code "prompt"} and {@code "answer"}.
 * Blank lines are skipped. Errors name the file, the 1-based line and the field, e.g.
 * {@code data.jsonl:7: field "answer" is missing}.
 *
 * <p>Without an eval file the last 10% of the train lines (at least one) are held out. Train examples whose
 * prompt is also an eval prompt are removed from training, so held-out prompts are never trained on.
 */
public final class JsonlTask implements Task {

    private final List<Example> train;
    private final List<Example> heldOut;
    private final int maxAnswerLength;

    /**
     * @param trainFile training examples
     * @param evalFile  held-out examples, or null to hold out the last 10% of {@code trainFile}
     * @throws IllegalArgumentException on malformed content (naming file and line) or an unreadable file
     */
    public JsonlTask(Path trainFile, Path evalFile) {
        List<Example> trainLines = read(trainFile);
        List<Example> evalLines;
        if (evalFile == null) {
            if (trainLines.size() < 2) {
                throw new IllegalArgumentException(trainFile + ": needs at least 2 examples to hold out the last 10%"
                        + " for evaluation (or give an eval file), found " + trainLines.size());
            }
            int evalCount = Math.max(1, trainLines.size() / 10);
            int split = trainLines.size() - evalCount;
            evalLines = trainLines.subList(split, trainLines.size());
            trainLines = trainLines.subList(0, split);
        } else {
            evalLines = read(evalFile);
        }
        this.heldOut = Collections.unmodifiableList(new ArrayList<>(new LinkedHashSet<>(evalLines)));
        Set<String> heldOutPrompts = new HashSet<>();
        for (Example example : heldOut) {
            heldOutPrompts.add(example.prompt());
        }
        // Held-out prompts never reach training: drop every train example whose prompt is an eval prompt.
        Set<Example> kept = new LinkedHashSet<>();
        for (Example example : trainLines) {
            if (!heldOutPrompts.contains(example.prompt())) {
                kept.add(example);
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException(trainFile + ": no training examples left after removing the "
                    + heldOut.size() + " held-out prompts");
        }
        this.train = List.copyOf(kept);
        int longest = 0;
        for (Example example : train) {
            longest = Math.max(longest, example.answer().length());
        }
        for (Example example : heldOut) {
            longest = Math.max(longest, example.answer().length());
        }
        this.maxAnswerLength = longest;
    }

    @Override
    public String name() {
        return "jsonl";
    }

    /** {@code count} distinct training examples in an order shuffled by {@code seed}. */
    @Override
    public List<Example> labelled(int count, long seed) {
        if (count < 0 || count > train.size()) {
            throw new IllegalArgumentException("jsonl: cannot give " + count + " labelled examples; the train file"
                    + " has " + train.size() + " distinct examples that are not held out");
        }
        List<Example> shuffled = new ArrayList<>(train);
        Collections.shuffle(shuffled, new Random(seed));
        return List.copyOf(shuffled.subList(0, count));
    }

    /** A training example drawn uniformly. */
    @Override
    public Example trainPrompt(Random random) {
        return train.get(random.nextInt(train.size()));
    }

    @Override
    public List<Example> heldOut() {
        return heldOut;
    }

    @Override
    public int maxAnswerLength() {
        return maxAnswerLength;
    }

    /** All examples of a file, in order. */
    static List<Example> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // A missing or unreadable file is a configuration error, reported like malformed content.
            throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
        }
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1); // byte-order mark
            }
            if (line.isBlank()) {
                continue;
            }
            examples.add(parse(line, file + ":" + (i + 1)));
        }
        return examples;
    }

    /** One line as an example; {@code where} is "file:line" for messages. */
    static Example parse(String line, String where) {
        JsonElement element;
        try {
            JsonReader reader = new JsonReader(new StringReader(line));
            reader.setStrictness(Strictness.STRICT); // no unquoted names, single quotes, comments
            element = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("more than one JSON value on the line");
            }
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + firstLineOfRootCause(e), e);
        }
        if (!element.isJsonObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object with \"prompt\" and \"answer\","
                    + " got " + element);
        }
        JsonObject object = element.getAsJsonObject();
        return new Example(stringField(object, "prompt", where), stringField(object, "answer", where));
    }

    /** Gson wraps the reader's exception and appends a troubleshooting link on a second line: keep the gist. */
    private static String firstLineOfRootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = String.valueOf(root.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static String stringField(JsonObject object, String field, String where) {
        JsonElement value = object.get(field);
        if (value == null) {
            throw new IllegalArgumentException(where + ": field \"" + field + "\" is missing");
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(where + ": field \"" + field + "\" must be a string, got " + value);
        }
        return value.getAsString();
    }
}
