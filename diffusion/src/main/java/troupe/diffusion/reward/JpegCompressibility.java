package troupe.diffusion.reward;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import troupe.diffusion.image.RgbImage;

/**
 * The aesthetic-free reward of the DDPO paper: minus the JPEG size in kB, so simpler images score higher.
 * Encoded in memory (no ImageIO disk cache), with an explicit quality so the number does not depend on defaults.
 */
public final class JpegCompressibility {
  public static final float QUALITY = 0.95f;

  private JpegCompressibility() {}

  public static double reward(RgbImage image) {
    return -jpegBytes(image) / 1000.0;
  }

  /** Size in bytes of the image as a JPEG at {@link #QUALITY}. */
  public static int jpegBytes(RgbImage image) {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    if (!writers.hasNext()) {
      throw new IllegalStateException("no JPEG writer in javax.imageio");
    }
    ImageWriter writer = writers.next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(QUALITY);
      writer.setOutput(out);
      writer.write(null, new IIOImage(image.toBufferedImage(), null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException("JPEG encoding failed", e);
    } finally {
      writer.dispose();
    }
    return bytes.size();
  }
}
