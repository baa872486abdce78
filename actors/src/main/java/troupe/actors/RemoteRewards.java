package troupe.actors;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import troupe.trainers.spec.RemoteRewardCalls;
import troupe.trainers.spec.SpecLimits;
import troupe.trainers.tasks.ExactMatchReward;
import troupe.v1.RewardItem;
import troupe.v1.RewardRequest;
import troupe.v1.RewardResponse;
import troupe.v1.RewardResult;
import troupe.v1.RewardServiceGrpc;
import troupe.v1.RewardSpec;
import troupe.v1.ScoreItem;
import troupe.v1.ScoreResponse;

/**
 * A reward worker's calls to remote rewards ({@code reward: {kind: remote}}): one channel per workflow and target,
 * reused across steps and closed when the workflow releases the worker. Items go in calls of at most
 * {@code max_batch}; a call that finds the service unavailable or misses its deadline is tried again
 * ({@link RemoteRewardCalls}), and an answer that breaks the contract of reward_service.proto fails the step with
 * a message naming the service.
 */
final class RemoteRewards {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Map<String, Map<String, ManagedChannel>> channels = new HashMap<>(); // workflow -> target -> channel

  /** The rewards of the items, and whether each is correct (the service's word, else the exact-match verifier). */
  synchronized ScoreResponse score(String workflowId, RewardSpec reward, List<ScoreItem> items) {
    RewardServiceGrpc.RewardServiceBlockingStub stub = RewardServiceGrpc.newBlockingStub(
        channels.computeIfAbsent(workflowId, id -> new HashMap<>()).computeIfAbsent(reward.getTarget(),
            t -> Grpc.newChannelBuilder(t, credentials(reward)).build()));
    if (!reward.getToken().isEmpty()) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + reward.getToken());
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    ScoreResponse.Builder out = ScoreResponse.newBuilder();
    int batch = Math.max(1, reward.getMaxBatch());
    for (int from = 0; from < items.size(); from += batch) {
      List<ScoreItem> part = items.subList(from, Math.min(items.size(), from + batch));
      RewardRequest.Builder request = RewardRequest.newBuilder().setConfig(reward.getConfig());
      for (ScoreItem item : part) {
        request.addItems(RewardItem.newBuilder().setPrompt(item.getPrompt()).setCompletion(item.getCompletion())
            .setReference(item.getAnswer()));
      }
      RewardResponse response = call(stub, request.build(), reward);
      checkContract(response, part, reward.getTarget());
      for (int i = 0; i < part.size(); i++) {
        RewardResult result = response.getResults(i);
        out.addRewards(result.getReward()).addCorrect(result.hasCorrect() ? result.getCorrect()
            : ExactMatchReward.isCorrect(part.get(i).getCompletion(), part.get(i).getAnswer()));
      }
    }
    return out.build();
  }

  /** Plaintext, or TLS trusting the spec's CA certificate (else the JVM's default CAs). */
  static ChannelCredentials credentials(RewardSpec reward) {
    if (!useTls(reward)) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    if (!reward.getCaCertificate().isEmpty()) {
      try {
        tls.trustManager(new ByteArrayInputStream(reward.getCaCertificate().getBytes(StandardCharsets.US_ASCII)));
      } catch (IOException e) { // checked at submission, so only a spec changed since could get here
        throw new UncheckedIOException("reward.ca_certificate: " + e.getMessage(), e);
      }
    }
    return tls.build();
  }

  static boolean useTls(RewardSpec reward) {
    return reward.getTls() || !reward.getCaCertificate().isEmpty();
  }

  /** Closes the workflow's channels; its later calls, if any, open new ones. */
  synchronized void release(String workflowId) {
    Map<String, ManagedChannel> open = channels.remove(workflowId);
    if (open != null) {
      open.values().forEach(ManagedChannel::shutdownNow);
    }
  }

  private static RewardResponse call(RewardServiceGrpc.RewardServiceBlockingStub stub, RewardRequest request,
      RewardSpec reward) {
    for (int attempt = 1; ; attempt++) {
      try {
        return stub.withDeadlineAfter(reward.getTimeoutSeconds(), TimeUnit.SECONDS).score(request);
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        boolean retryable = code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
        if (!retryable || attempt == RemoteRewardCalls.ATTEMPTS) {
          throw new IllegalStateException(failure(reward, e.getStatus(), attempt), e);
        }
        pause(RemoteRewardCalls.BACKOFF_MILLIS[attempt - 1]);
      }
    }
  }

  /** Names the service, the status and what to check for it. */
  static String failure(RewardSpec reward, Status status, int attempts) {
    String target = reward.getTarget();
    String hint = switch (status.getCode()) {
      case UNAVAILABLE -> "check that the reward service runs, listens on " + target
          + " and is reachable from this reward worker's node (reward.target)" + (useTls(reward)
          ? ", with a certificate for that host name signed by reward.ca_certificate (or a CA the JVM trusts)"
          : ", in plaintext (set reward.tls for a service that speaks TLS)");
      case DEADLINE_EXCEEDED -> "check that it answers " + reward.getMaxBatch() + " items within "
          + reward.getTimeoutSeconds() + " s, or raise reward.timeout_seconds or lower reward.max_batch";
      case UNIMPLEMENTED -> "check that it serves troupe.v1.RewardService/Score (reward_service.proto)";
      case UNAUTHENTICATED, PERMISSION_DENIED -> "check reward.token";
      default -> "check the reward service's log";
    };
    // gRPC says "io exception" for a refused connection; the cause says what happened.
    String description = status.getDescription() == null ? "" : " (" + status.getDescription()
        + (status.getCause() == null ? "" : ": " + status.getCause().getMessage()) + ")";
    return "remote reward at " + target + " failed after " + attempts + (attempts == 1 ? " attempt: " : " attempts: ")
        + status.getCode() + description + "; " + hint;
  }

  /** One finite reward per item, in order: what reward_service.proto promises. */
  static void checkContract(RewardResponse response, List<ScoreItem> items, String target) {
    if (response.getResultsCount() != items.size()) {
      throw new IllegalStateException("remote reward at " + target + " returned " + response.getResultsCount()
          + " results for " + items.size() + " items; a RewardService must return one result per item, in order");
    }
    for (int i = 0; i < items.size(); i++) {
      float r = response.getResults(i).getReward();
      if (!(Math.abs(r) <= SpecLimits.MAX_ABS_REWARD)) {
        throw new IllegalStateException("remote reward at " + target + " returned reward " + r + " for item " + i
            + " (completion \"" + items.get(i).getCompletion() + "\"); rewards must be finite numbers in ["
            + -SpecLimits.MAX_ABS_REWARD + ", " + SpecLimits.MAX_ABS_REWARD + "]");
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StageCancelled("interrupted while waiting to call the remote reward again");
    }
  }
}
