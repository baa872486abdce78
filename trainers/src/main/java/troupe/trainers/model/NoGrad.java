package troupe.trainers.model;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Runs inference without recording an autograd graph. PyTorch's grad mode is per thread and DJL only switches it
 * off on the thread that started the engine, so a forward pass on any other thread (an actor's) would otherwise
 * record a graph for parameters that require gradients.
 */
public final class NoGrad {
  private NoGrad() {}

  public static <T> T run(Supplier<T> inference) {
    boolean before = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return inference.get();
    } finally {
      JniUtils.setGradMode(before);
    }
  }
}
