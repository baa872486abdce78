package troupe.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import troupe.actors.dataplane.DataPlaneClient;
import troupe.actors.dataplane.DataPlaneServer;
import troupe.v1.BlobRef;
import troupe.v1.WorkflowEvent;

/**
 * Artery and the data plane over TLS with mutual authentication: nodes holding the same cluster keys form a cluster
 * and run a workflow across it; a node with other keys, or with none, never becomes a member and cannot fetch from a
 * data plane.
 */
class ClusterTlsTest {
  private static final Duration NEVER_JOINS = Duration.ofSeconds(10);

  @Test
  void keyFilesAreOwnerOnlyAndNeverOverwritten(@TempDir Path dir) throws Exception {
    Path keysDir = dir.resolve("keys");
    ClusterKeys keys = ClusterKeys.generate(keysDir);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keysDir)));
    for (String name : List.of(ClusterKeys.KEY_STORE, ClusterKeys.TRUST_STORE, ClusterKeys.PASSWORD)) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keysDir.resolve(name))),
          name);
    }
    try (var files = Files.list(keysDir)) {
      assertEquals(3, files.count(), "no temporary files left behind");
    }
    assertEquals(keys.password(), ClusterKeys.load(keysDir).password());
    assertThrows(FileAlreadyExistsException.class, () -> ClusterKeys.generate(keysDir));
    assertEquals(keys.password(), ClusterKeys.load(keysDir).password(), "the first set is kept");
  }

  @Test
  void missingOrCorruptKeysNameTheFile(@TempDir Path dir) throws Exception {
    Path keysDir = dir.resolve("keys");
    ClusterKeys.generate(keysDir);
    Files.write(keysDir.resolve(ClusterKeys.KEY_STORE), new byte[] {1, 2, 3});
    IOException corrupt = assertThrows(IOException.class, () -> ClusterKeys.load(keysDir));
    assertTrue(corrupt.getMessage().contains(keysDir.resolve(ClusterKeys.KEY_STORE).toString())
        && corrupt.getMessage().contains("troupe cluster-keys --out"), corrupt.getMessage());

    Files.delete(keysDir.resolve(ClusterKeys.PASSWORD));
    IOException missing = assertThrows(IOException.class, () -> ClusterKeys.load(keysDir));
    assertTrue(missing.getMessage().contains(keysDir.resolve(ClusterKeys.PASSWORD) + " is missing"),
        missing.getMessage());
    IllegalArgumentException atStart = assertThrows(IllegalArgumentException.class,
        () -> TroupeNode.start(NodeConfig.embedded(dir).withClusterKeys(keysDir)));
    assertTrue(atStart.getMessage().contains(ClusterKeys.PASSWORD), atStart.getMessage());
  }

  @Test
  void nodesWithTheSameKeysRunAWorkflowTogether(@TempDir Path dir) throws Exception {
    Path keys = ClusterKeys.generate(dir.resolve("keys")).dir();
    try (TroupeNode server = TroupeNode.start(server(dir).withClusterKeys(keys));
        TroupeNode worker = TroupeNode.start(rolloutNode(dir, server).withClusterKeys(keys))) {
      assertEquals("tls-tcp", server.system().settings().config().getString("pekko.remote.artery.transport"));
      List<WorkflowEvent> events = Workflows.run(server, Workflows.tiny("""
          stages:
            - sft: {steps: 2, batch_size: 8}
            - grpo: {steps: 2, prompts_per_step: 2, group_size: 4, max_new_tokens: 6}
          """), Duration.ofSeconds(120));
      assertTrue(Workflows.last(events).hasCompleted(), () -> "events: " + events);
      String remote = server.directory().workers(WorkerRole.ROLLOUT).get(0).path().address().toString();
      assertTrue(remote.endsWith(worker.clusterAddress()), remote + " is not the second node");
      assertTrue(worker.dataPlane().fetchedBytes() > 0, "the rollout node fetched the weights over the data plane");
    }
  }

  @Test
  @Timeout(90)
  void nodeWithOtherKeysCannotJoin(@TempDir Path dir) throws Exception {
    Path keys = ClusterKeys.generate(dir.resolve("keys")).dir();
    Path otherKeys = ClusterKeys.generate(dir.resolve("other-keys")).dir();
    try (TroupeNode server = TroupeNode.start(server(dir).withClusterKeys(keys))) {
      assertNeverJoinsButAKeyHolderDoes(server, rolloutNode(dir, server).withClusterKeys(otherKeys), keys);
    }
  }

  @Test
  @Timeout(90)
  void nodeWithoutTlsCannotJoin(@TempDir Path dir) throws Exception {
    Path keys = ClusterKeys.generate(dir.resolve("keys")).dir();
    try (TroupeNode server = TroupeNode.start(server(dir).withClusterKeys(keys))) {
      assertNeverJoinsButAKeyHolderDoes(server, rolloutNode(dir, server), keys);
    }
  }

  @Test
  void dataPlaneServesOnlyClientsWithTheClusterKeys(@TempDir Path dir) throws Exception {
    ClusterKeys keys = ClusterKeys.generate(dir.resolve("keys"));
    ClusterKeys otherKeys = ClusterKeys.generate(dir.resolve("other-keys"));
    byte[] blob = new byte[3 * DataPlaneServer.MIN_CHUNK_BYTES + 5];
    new java.util.Random(7).nextBytes(blob);
    Duration timeout = Duration.ofSeconds(10);
    try (DataPlaneServer server = DataPlaneServer.start("127.0.0.1", 0, DataPlaneServer.MIN_CHUNK_BYTES,
            NodeDataPlane.serverCredentials(keys));
        DataPlaneServer impostor = DataPlaneServer.start("127.0.0.1", 0, DataPlaneServer.MIN_CHUNK_BYTES,
            NodeDataPlane.serverCredentials(otherKeys));
        DataPlaneClient member = client(keys);
        DataPlaneClient outsider = client(otherKeys);
        DataPlaneClient plain = new DataPlaneClient()) {
      BlobRef ref = server.store().publish("wf/weights", 1, blob);
      assertArrayEquals(blob, member.fetch(ref, timeout).bytes());
      IOException wrongKey = assertThrows(IOException.class, () -> outsider.fetch(ref, timeout));
      assertTrue(wrongKey.getMessage().contains("UNAVAILABLE"), wrongKey.getMessage());
      assertThrows(IOException.class, () -> plain.fetch(ref, timeout));
      // The client checks the server too: a server without the cluster's key gets nothing asked of it.
      BlobRef fake = impostor.store().publish("wf/weights", 1, blob);
      assertThrows(IOException.class, () -> member.fetch(fake, timeout));
    }
  }

  private static DataPlaneClient client(ClusterKeys keys) {
    return new DataPlaneClient(NodeDataPlane.channelCredentials(keys), ClusterKeys.CERT_NAME);
  }

  /**
   * The intruder keeps trying to join for {@link #NEVER_JOINS} and is never a member on either side; then a node
   * with the cluster's keys joins the same server, so the server was reachable all along.
   */
  private static void assertNeverJoinsButAKeyHolderDoes(TroupeNode server, NodeConfig intruderConfig, Path keys)
      throws Exception {
    try (TroupeNode intruder = TroupeNode.start(intruderConfig)) {
      Cluster serverCluster = Cluster.get(server.system());
      Cluster intruderCluster = Cluster.get(intruder.system());
      long deadline = System.nanoTime() + NEVER_JOINS.toNanos();
      while (System.nanoTime() < deadline) {
        assertEquals(1, serverCluster.state().members().size(), () -> "members: " + serverCluster.state().members());
        assertNotEquals(MemberStatus.up(), intruderCluster.selfMember().status(), "the intruder is up");
        assertTrue(intruderCluster.state().members().isEmpty(), () -> "the intruder sees "
            + intruderCluster.state().members());
        Thread.sleep(200);
      }
      assertTrue(server.directory().workers(WorkerRole.ROLLOUT).isEmpty(), "no rollout worker got registered");

      try (TroupeNode member = TroupeNode.start(rolloutNode(intruderConfig.dataDir(), server).withClusterKeys(keys))) {
        Cluster memberCluster = Cluster.get(member.system());
        long joinDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (memberCluster.selfMember().status() != MemberStatus.up() && System.nanoTime() < joinDeadline) {
          Thread.sleep(100);
        }
        assertEquals(MemberStatus.up(), memberCluster.selfMember().status(), "the key holder joined");
        assertEquals(2, serverCluster.state().members().size(), () -> "members: " + serverCluster.state().members());
        assertTrue(intruderCluster.state().members().isEmpty(), "the intruder is still out");
      }
    }
  }

  private static NodeConfig server(Path dir) {
    return new NodeConfig("127.0.0.1", 0, List.of(), EnumSet.of(WorkerRole.POLICY, WorkerRole.REFERENCE,
        WorkerRole.REWARD), true, dir);
  }

  private static NodeConfig rolloutNode(Path dir, TroupeNode server) {
    return new NodeConfig("127.0.0.1", 0, List.of(server.clusterAddress()), EnumSet.of(WorkerRole.ROLLOUT), false,
        dir);
  }
}
