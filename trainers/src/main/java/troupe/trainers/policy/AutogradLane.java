package troupe.trainers.policy;

import java.util.concurrent.locks.ReentrantLock;

/**
 * DJL on PyTorch allows one open GradientCollector per JVM (stack.md), so every backward pass in this process
 * takes this lane in turn. Several policy sessions in one JVM then train one after the other instead of failing.
 */
public final class AutogradLane {
  public static final ReentrantLock LOCK = new ReentrantLock(true);

  private AutogradLane() {}
}
