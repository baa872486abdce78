package troupe.diffusion.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import troupe.trainers.model.Mlp;

/**
 * A DiT block with adaLN-Zero (Peebles and Xie 2023): the condition (time + pooled prompt) shifts, scales and gates
 * both sublayers, and the gates start at zero so each block starts as the identity. Patch tokens attend to
 * themselves and to the encoded prompt words.
 */
final class DiTBlock extends Module {
  private final Linear modulation;
  private final Attention attn;
  private final Mlp mlp;

  DiTBlock(NDManager manager, Random random, ImageModelConfig c, float std) {
    modulation = child("modulation", new Linear(manager, random, c.dModel(), 6 * c.dModel(), 0f));
    attn = child("attn", new Attention(manager, random, c.dModel(), c.heads(), std));
    mlp = child("mlp", new Mlp(manager, random, c.dModel(), c.dFf(), std, std));
  }

  /**
   * @param x [B,N,D] patch tokens
   * @param cond [B,D] condition vector
   * @param words [B,L,D] encoded prompt words
   * @param maskBias [B,1,1,L+N] over the keys [words; patches]
   */
  NDArray forward(NDArray x, NDArray cond, NDArray words, NDArray maskBias) {
    NDList m = modulation.forward(silu(cond)).expandDims(1).split(6, 2);
    NDArray h = modulate(x, m.get(0), m.get(1));
    NDArray context = words.concat(h, 1);
    x = x.add(m.get(2).mul(attn.forward(h, context, maskBias)));
    NDArray h2 = modulate(x, m.get(3), m.get(4));
    return x.add(m.get(5).mul(mlp.forward(h2)));
  }

  /** Parameter-free RMS norm, then x * (1 + scale) + shift. */
  static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
    NDManager s = x.getManager();
    NDArray normed = x.div(x.square().mean(new int[] {-1}, true).add(s.create(1e-6f)).sqrt());
    return normed.mul(scale.add(s.create(1f))).add(shift);
  }
}
