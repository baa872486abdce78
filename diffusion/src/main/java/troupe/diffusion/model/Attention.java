package troupe.diffusion.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;

/** Multi-head attention without causality: queries from x, keys and values from a context (which may include x). */
final class Attention extends Module {
  private final int heads;
  private final int headDim;
  private final Linear q;
  private final Linear k;
  private final Linear v;
  private final Linear o;

  Attention(NDManager manager, Random random, int dModel, int heads, float std) {
    this.heads = heads;
    this.headDim = dModel / heads;
    q = child("q", new Linear(manager, random, dModel, dModel, std));
    k = child("k", new Linear(manager, random, dModel, dModel, std));
    v = child("v", new Linear(manager, random, dModel, dModel, std));
    o = child("o", new Linear(manager, random, dModel, dModel, std));
  }

  /**
   * @param x [B,S,D] queries
   * @param context [B,K,D] keys and values
   * @param maskBias [B,1,1,K]: 0 for real keys, a large negative number for padding
   */
  NDArray forward(NDArray x, NDArray context, NDArray maskBias) {
    long batch = x.getShape().get(0);
    NDArray qs = split(q.forward(x), batch);
    NDArray ks = split(k.forward(context), batch);
    NDArray vs = split(v.forward(context), batch);
    NDArray scale = x.getManager().create((float) (1.0 / Math.sqrt(headDim)));
    NDArray scores = qs.matMul(ks.transpose(0, 1, 3, 2)).mul(scale).add(maskBias);
    NDArray merged = scores.softmax(-1).matMul(vs).transpose(0, 2, 1, 3).reshape(batch, -1, (long) heads * headDim);
    return o.forward(merged);
  }

  /** [B,S,D] -> [B,H,S,hd]. */
  private NDArray split(NDArray projected, long batch) {
    return projected.reshape(batch, -1, heads, headDim).transpose(0, 2, 1, 3);
  }

  /** keyMask float [B,K] (1 real, 0 pad) as an additive bias [B,1,1,K]. */
  static NDArray bias(NDArray keyMask) {
    NDManager m = keyMask.getManager();
    long[] shape = keyMask.getShape().getShape();
    return keyMask.sub(m.create(1f)).mul(m.create(1e9f)).reshape(shape[0], 1, 1, shape[1]);
  }
}
