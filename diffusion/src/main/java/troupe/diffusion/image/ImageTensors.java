package troupe.diffusion.image;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import troupe.v1.Tensor;

/** Images <-> a float32 troupe.v1.Tensor [N, 3, H, W] (little-endian, row-major), the form images travel in. */
public final class ImageTensors {
  private ImageTensors() {}

  public static Tensor toTensor(List<RgbImage> images) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("no images");
    }
    int size = images.get(0).size();
    ByteBuffer bytes = ByteBuffer.allocate(images.size() * 3 * size * size * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (RgbImage image : images) {
      if (image.size() != size) {
        throw new IllegalArgumentException("images of sizes " + size + " and " + image.size() + " in one batch");
      }
      for (float v : image.chw()) {
        bytes.putFloat(v);
      }
    }
    return Tensor.newBuilder().setDtype(Tensor.DType.FLOAT32).addShape(images.size()).addShape(3).addShape(size)
        .addShape(size).setData(ByteString.copyFrom(bytes.flip())).build();
  }

  /** Throws IllegalArgumentException naming the problem when the tensor is not float32 [N, 3, S, S]. */
  public static List<RgbImage> fromTensor(Tensor tensor) {
    if (tensor.getDtype() != Tensor.DType.FLOAT32 || tensor.getShapeCount() != 4 || tensor.getShape(1) != 3
        || tensor.getShape(2) != tensor.getShape(3)) {
      throw new IllegalArgumentException("images must be a float32 tensor [N, 3, S, S], got " + tensor.getDtype()
          + " " + tensor.getShapeList());
    }
    int n = Math.toIntExact(tensor.getShape(0));
    int size = Math.toIntExact(tensor.getShape(2));
    int per = 3 * size * size;
    if (tensor.getData().size() != (long) n * per * 4) {
      throw new IllegalArgumentException("image tensor " + tensor.getShapeList() + " needs " + (long) n * per * 4
          + " bytes, has " + tensor.getData().size());
    }
    ByteBuffer bytes = tensor.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<RgbImage> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      float[] chw = new float[per];
      for (int k = 0; k < per; k++) {
        chw[k] = bytes.getFloat();
      }
      out.add(new RgbImage(size, chw));
    }
    return out;
  }
}
