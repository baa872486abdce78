package troupe.trainers.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static troupe.trainers.spec.SpecProblems.assertContains;
import static troupe.trainers.spec.SpecProblems.message;

import org.junit.jupiter.api.Test;
import troupe.v1.RewardSpec;

/** reward: {kind: remote}: its defaults and the problems the validator names. */
class RemoteRewardSpecTest {
  private static final String STAGES = "stages:\n  - grpo: {group_size: 4}\n";

  @Test
  void defaultsFillTimeoutAndBatch() {
    RewardSpec r = SpecValidator.resolve(WorkflowYaml.parse(
        "reward: {kind: remote, target: 'localhost:50070', config: '{\"x\": 1}'}\n" + STAGES), InputRoots.NONE)
        .getReward();
    assertEquals(30, r.getTimeoutSeconds());
    assertEquals(256, r.getMaxBatch());
    assertEquals("{\"x\": 1}", r.getConfig());
  }

  @Test
  void targetIsRequiredAndChecked() {
    assertContains(message("reward: {kind: remote}\n" + STAGES), "reward.target: required with kind remote");
    for (String bad : new String[] {"localhost", "localhost:", ":80", "host:0", "host:70000", "host:8o",
        "a b:80", "[::1:80"}) {
      assertContains(message("reward: {kind: remote, target: '" + bad + "'}\n" + STAGES),
          "reward.target: must be HOST:PORT");
    }
    for (String good : new String[] {"localhost:1", "10.0.0.2:50070", "[::1]:50070", "rm-1.example.org:443"}) {
      assertTrue(RemoteRewardCalls.validTarget(good), good);
    }
    assertFalse(RemoteRewardCalls.validTarget("[]:80"));
  }

  @Test
  void boundsOfTimeoutAndBatch() {
    String base = "reward: {kind: remote, target: 'localhost:50070', ";
    assertContains(message(base + "timeout_seconds: 0}\n" + STAGES), "reward.timeout_seconds: must be >= 1, got 0");
    assertContains(message(base + "max_batch: 0}\n" + STAGES), "reward.max_batch: must be >= 1, got 0");
    assertContains(message(base + "max_batch: 5000}\n" + STAGES),
        "reward.max_batch: must be in [1, " + SpecLimits.MAX_REWARD_BATCH + "], got 5000");
    assertContains(message(base + "timeout_seconds: 601}\n" + "runtime: {ask_timeout_seconds: 5000}\n" + STAGES),
        "reward.timeout_seconds: must be in [1, 600], got 601");
  }

  @Test
  void retriesMustFitInTheAskTimeout() {
    assertContains(message("reward: {kind: remote, target: 'localhost:50070', timeout_seconds: 40}\n" + STAGES),
        "reward.timeout_seconds: 3 attempts of 40 s and their backoff take up to 122 s, which must be less than "
            + "runtime.ask_timeout_seconds (120)");
  }

  @Test
  void remoteFieldsOnlyWithKindRemote() {
    assertContains(message("reward: {kind: exact_match, target: 'localhost:50070'}\n" + STAGES),
        "reward.target: only reward kind remote uses it");
  }

  @Test
  void caCertificateMustBePem() {
    String base = "reward: {kind: remote, target: 'localhost:50070', ";
    assertContains(message(base + "ca_certificate: 'my-ca.pem'}\n" + STAGES),
        "reward.ca_certificate: must be the PEM text of the CA certificate to trust");
    assertContains(message(base + "ca_certificate: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n"
        + "-----END CERTIFICATE-----\\n\"}\n" + STAGES), "reward.ca_certificate: must be the PEM text of the CA "
        + "certificate to trust (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----); it does not parse");
    assertContains(message("reward: {kind: exact_match, tls: true}\n" + STAGES),
        "reward.tls: only reward kind remote uses it");
    assertTrue(SpecValidator.resolve(WorkflowYaml.parse(base + "tls: true}\n" + STAGES), InputRoots.NONE)
        .getReward().getTls());
  }

  @Test
  void aStageRewardIsCheckedToo() {
    assertContains(message("stages:\n  - grpo: {group_size: 4, reward: {kind: remote, target: nowhere}}\n"),
        "stages[0].grpo.reward.target: must be HOST:PORT");
  }
}
