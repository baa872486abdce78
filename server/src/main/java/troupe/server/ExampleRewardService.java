package troupe.server;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import troupe.trainers.tasks.ExactMatchReward;
import troupe.v1.RewardItem;
import troupe.v1.RewardRequest;
import troupe.v1.RewardResponse;
import troupe.v1.RewardResult;
import troupe.v1.RewardServiceGrpc;

/**
 * An example RewardService (reward_service.proto), to copy from and to test with; not meant for real training.
 * {@code exact_match} gives 1 for a completion equal to the reference and 0 otherwise, as the built-in reward does;
 * {@code length} is a toy shaping reward, minus the distance between the completion's length and the reference's,
 * and leaves {@code correct} unset so Troupe's own verifier decides accuracy.
 */
final class ExampleRewardService extends RewardServiceGrpc.RewardServiceImplBase {
  static final List<String> KINDS = List.of("exact_match", "length");

  private final String kind;

  ExampleRewardService(String kind) {
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException("unknown reward kind \"" + kind + "\"; allowed: " + String.join(", ", KINDS));
    }
    this.kind = kind;
  }

  /** Serves it on host:port (0 = any free port) with TLS or plaintext credentials; the caller stops the server. */
  static Server start(String kind, String host, int port, ServerCredentials credentials) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials)
        .addService(new ExampleRewardService(kind)).build().start();
  }

  @Override
  public void score(RewardRequest request, StreamObserver<RewardResponse> response) {
    RewardResponse.Builder out = RewardResponse.newBuilder();
    for (RewardItem item : request.getItemsList()) {
      out.addResults(kind.equals("exact_match") ? exactMatch(item) : length(item));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  private static RewardResult exactMatch(RewardItem item) {
    boolean correct = ExactMatchReward.isCorrect(item.getCompletion(), item.getReference());
    return RewardResult.newBuilder().setReward(correct ? 1f : 0f).setCorrect(correct).build();
  }

  private static RewardResult length(RewardItem item) {
    return RewardResult.newBuilder()
        .setReward(-Math.abs(item.getCompletion().strip().length() - item.getReference().length())).build();
  }
}
