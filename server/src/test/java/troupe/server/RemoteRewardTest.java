package troupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.RewardItem;
import troupe.v1.RewardRequest;
import troupe.v1.RewardResponse;
import troupe.v1.RewardServiceGrpc;
import troupe.v1.WatchWorkflowRequest;
import troupe.v1.WorkflowEvent;

/**
 * reward: {kind: remote} end to end: an embedded server whose reward worker calls a RewardService on loopback.
 * The example service's exact_match must train exactly as the built-in reward; a service that is down or breaks
 * the contract must fail the workflow with a message naming it.
 */
class RemoteRewardTest {
  private static final String SPEC = """
      name: remote-reward
      seed: 5
      model: {layers: 1, d_model: 32, heads: 2, d_ff: 64, max_seq_len: 12}
      task: {kind: reverse, min_digits: 1, max_digits: 2, labelled_size: 64, eval_size: 16}
      eval: {every_steps: 20, samples_shown: 0}
      """;
  private static final String STAGES = """
      stages:
        - sft: {steps: 80, batch_size: 16, learning_rate: 0.005}
        - grpo: {steps: 3, prompts_per_step: 8, group_size: 4, max_new_tokens: 4, temperature: 0.5}
      """;
  private static final String ONE_STEP = "stages:\n  - grpo: {steps: 1, prompts_per_step: 2, group_size: 4, "
      + "max_new_tokens: 4}\n";

  @TempDir static Path dir;
  static LimitsTest.Api troupe;

  @BeforeAll
  static void start() {
    troupe = LimitsTest.inProcess(dir, "remote-reward-test", ServerLimits.DEFAULTS);
  }

  @AfterAll
  static void stop() {
    troupe.close();
  }

  @Test
  void exampleExactMatchTrainsLikeTheBuiltInReward() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Server rewards = serve(ServerInterceptors.intercept(new ExampleRewardService("exact_match"), counting(calls)));
    try {
      List<WorkflowEvent> builtIn = run(SPEC + "reward: {kind: exact_match}\n" + STAGES);
      List<WorkflowEvent> remote = run(SPEC + "reward: {kind: remote, target: '127.0.0.1:" + rewards.getPort()
          + "', max_batch: 5}\n" + STAGES);
      assertTrue(last(builtIn).hasCompleted(), () -> "built-in: " + last(builtIn));
      assertTrue(last(remote).hasCompleted(), () -> "remote: " + last(remote));
      List<String> expected = rewardMetrics(builtIn);
      assertEquals(expected, rewardMetrics(remote));
      assertTrue(builtIn.stream().anyMatch(e -> e.hasStep() && e.getStep().getStageIndex() == 1
          && e.getStep().getRewardMean() > 0), "no GRPO step got a reward: " + expected);
      // 32 items a GRPO step in calls of at most 5, and the held-out evaluations: every item went to the service.
      assertTrue(calls.get() >= 3 * 7, "calls: " + calls.get());
    } finally {
      rewards.shutdownNow();
    }
  }

  @Test
  void theTokenTravelsAsABearerHeader() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    Server rewards = serve(ServerInterceptors.intercept(new ExampleRewardService("length"), new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        seen.set(headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER)));
        return next.startCall(call, headers);
      }
    }));
    try {
      WorkflowEvent end = last(run(SPEC + "reward: {kind: remote, target: '127.0.0.1:" + rewards.getPort()
          + "', token: s3cret}\n" + ONE_STEP));
      assertTrue(end.hasCompleted(), end::toString);
      assertEquals("Bearer s3cret", seen.get());
    } finally {
      rewards.shutdownNow();
    }
  }

  @Test
  void theLengthExampleLeavesCorrectToTroupe() {
    List<RewardResponse> out = new ArrayList<>();
    new ExampleRewardService("length").score(RewardRequest.newBuilder().addItems(RewardItem.newBuilder()
        .setCompletion(" 1234 ").setReference("12")).build(), new StreamObserver<>() {
          @Override
          public void onNext(RewardResponse value) {
            out.add(value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    assertEquals(-2f, out.get(0).getResults(0).getReward());
    assertFalse(out.get(0).getResults(0).hasCorrect());
  }

  @Test
  void overTlsTheServiceIsCheckedAgainstTheSpecsCaCertificate() throws Exception {
    String trusted = selfSigned("reward");
    String stranger = selfSigned("stranger");
    AtomicInteger calls = new AtomicInteger();
    Server rewards = serve(ServerInterceptors.intercept(new ExampleRewardService("exact_match"), counting(calls)),
        TlsServerCredentials.create(dir.resolve("reward-cert.pem").toFile(), dir.resolve("reward-key.pem").toFile()));
    String remote = "reward: {kind: remote, target: '127.0.0.1:" + rewards.getPort() + "', timeout_seconds: 5";
    try {
      WorkflowEvent ok = last(run(SPEC + remote + ", ca_certificate: \"" + trusted + "\"}\n" + ONE_STEP));
      assertTrue(ok.hasCompleted(), ok::toString);
      assertTrue(calls.get() > 0, "the service was never called");

      calls.set(0);
      WorkflowEvent wrongCa = last(run(SPEC + remote + ", ca_certificate: \"" + stranger + "\"}\n" + ONE_STEP));
      assertTrue(wrongCa.hasFailed(), wrongCa::toString);
      assertTrue(wrongCa.getFailed().getCause().contains("UNAVAILABLE") && wrongCa.getFailed().getCause()
          .contains("signed by reward.ca_certificate"), wrongCa.getFailed().getCause());

      WorkflowEvent plaintext = last(run(SPEC + remote + "}\n" + ONE_STEP));
      assertTrue(plaintext.hasFailed(), plaintext::toString);
      assertTrue(plaintext.getFailed().getCause().contains("set reward.tls"), plaintext.getFailed().getCause());
      assertEquals(0, calls.get(), "a call got through without a trusted TLS connection");
    } finally {
      rewards.shutdownNow();
    }
  }

  @Test
  void aServiceThatIsDownFailsTheStepAfterTheRetries() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // closed again: nothing listens there
    }
    long started = System.nanoTime();
    WorkflowEvent end = last(run(SPEC + "reward: {kind: remote, target: '127.0.0.1:" + port + "', timeout_seconds: 5}\n"
        + ONE_STEP));
    double seconds = (System.nanoTime() - started) / 1e9;
    assertTrue(end.hasFailed(), end::toString);
    String cause = end.getFailed().getCause();
    for (String expected : List.of("remote reward at 127.0.0.1:" + port + " failed after 3 attempts: UNAVAILABLE",
        "check that the reward service runs")) {
      assertTrue(cause.contains(expected), () -> "expected \"" + expected + "\" in: " + cause);
    }
    assertTrue(seconds < 60, "failed after " + seconds + " s");
  }

  @Test
  void aWrongCountFailsWithTheContract() throws Exception {
    String cause = failureWith(r -> r.toBuilder().removeResults(0).build());
    assertTrue(cause.contains("results for ") && cause.contains("items; a RewardService must return one result "
        + "per item, in order"), cause);
  }

  @Test
  void aNonFiniteRewardFails() throws Exception {
    String cause = failureWith(r -> r.toBuilder().setResults(0, r.getResults(0).toBuilder().setReward(Float.NaN))
        .build());
    assertTrue(cause.contains("returned reward NaN for item 0") && cause.contains("rewards must be finite"), cause);
  }

  /** The cause of a workflow failed by a service that answers as exact_match would, then breaks the answer. */
  private static String failureWith(UnaryOperator<RewardResponse> breakIt) throws Exception {
    ExampleRewardService example = new ExampleRewardService("exact_match");
    Server bad = serve(ServerInterceptors.intercept(new RewardServiceGrpc.RewardServiceImplBase() {
      @Override
      public void score(RewardRequest request, StreamObserver<RewardResponse> response) {
        example.score(request, new StreamObserver<>() {
          @Override
          public void onNext(RewardResponse value) {
            response.onNext(breakIt.apply(value));
          }

          @Override
          public void onError(Throwable t) {
            response.onError(t);
          }

          @Override
          public void onCompleted() {
            response.onCompleted();
          }
        });
      }
    }));
    try {
      WorkflowEvent end = last(run(SPEC + "reward: {kind: remote, target: '127.0.0.1:" + bad.getPort() + "'}\n"
          + ONE_STEP));
      assertTrue(end.hasFailed(), end::toString);
      String cause = end.getFailed().getCause();
      assertTrue(cause.contains("remote reward at 127.0.0.1:" + bad.getPort()), cause);
      return cause;
    } finally {
      bad.shutdownNow();
    }
  }

  private static Server serve(io.grpc.ServerServiceDefinition service) throws Exception {
    return serve(service, InsecureServerCredentials.create());
  }

  private static Server serve(io.grpc.ServerServiceDefinition service, ServerCredentials credentials)
      throws Exception {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials).addService(service)
        .build().start();
  }

  /** A self-signed certificate for 127.0.0.1, as the spec's ca_certificate: a YAML string with \n escapes. */
  private static String selfSigned(String name) throws Exception {
    SelfSignedCertificate.write(dir.resolve(name + "-cert.pem"), dir.resolve(name + "-key.pem"), "127.0.0.1");
    return Files.readString(dir.resolve(name + "-cert.pem")).replace("\n", "\\n");
  }

  private static ServerInterceptor counting(AtomicInteger calls) {
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        calls.incrementAndGet();
        return next.startCall(call, headers);
      }
    };
  }

  private static List<WorkflowEvent> run(String yaml) {
    List<WorkflowEvent> events = new ArrayList<>();
    troupe.blocking().watchWorkflow(WatchWorkflowRequest.newBuilder().setWorkflowId(troupe.submit(yaml)).build())
        .forEachRemaining(events::add);
    return events;
  }

  private static WorkflowEvent last(List<WorkflowEvent> events) {
    return events.get(events.size() - 1);
  }

  /** What the reward decides in each GRPO step and evaluation; the timings differ from run to run. */
  private static List<String> rewardMetrics(List<WorkflowEvent> events) {
    List<String> out = new ArrayList<>();
    for (WorkflowEvent e : events) {
      if (e.hasStep() && e.getStep().getStageIndex() == 1) {
        var s = e.getStep();
        out.add("step " + s.getStep() + ": reward_mean " + s.getRewardMean() + " reward_std " + s.getRewardStd()
            + " accuracy " + s.getAccuracy() + " loss " + s.getLoss());
      } else if (e.hasEval()) {
        out.add("eval " + e.getEval().getStage() + "/" + e.getEval().getStep() + ": accuracy "
            + e.getEval().getAccuracy());
      }
    }
    return out;
  }
}
