/**
 * The node-local data plane: each node runs a small gRPC service ({@link troupe.actors.dataplane.DataPlaneServer})
 * from which other nodes pull large blobs, such as the weights of a new policy version, directly.
 *
 * <p>Why: weights go from the node that has them to the node that needs them, not through the orchestrator's actor
 * messages, which would carry every byte through one node and one mailbox. Actors pass only a small
 * {@link troupe.v1.BlobRef}. The blob travels in chunks so that no single message, and no buffer on either side,
 * has to hold a whole blob on the way. Each chunk carries its CRC32C, so one damaged chunk costs one chunk sent
 * again rather than the whole blob; a CRC32C over the whole blob is the final check.
 */
package troupe.actors.dataplane;
