package troupe.diffusion.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import troupe.trainers.model.Mlp;
import troupe.trainers.model.RmsNorm;

/** Pre-norm bidirectional transformer layer over the prompt's words. */
final class EncoderLayer extends Module {
  private final RmsNorm attnNorm;
  private final Attention attn;
  private final RmsNorm mlpNorm;
  private final Mlp mlp;

  EncoderLayer(NDManager manager, Random random, ImageModelConfig c, float std) {
    attnNorm = child("attn_norm", new RmsNorm(manager, c.dModel()));
    attn = child("attn", new Attention(manager, random, c.dModel(), c.heads(), std));
    mlpNorm = child("mlp_norm", new RmsNorm(manager, c.dModel()));
    mlp = child("mlp", new Mlp(manager, random, c.dModel(), c.dFf(), std, std));
  }

  NDArray forward(NDArray x, NDArray maskBias) {
    NDArray normed = attnNorm.forward(x);
    NDArray h = x.add(attn.forward(normed, normed, maskBias));
    return h.add(mlp.forward(mlpNorm.forward(h)));
  }
}
