package troupe.diffusion.model;

/** Shape of a {@link FlowDiT}: RGB images of imageSize^2 pixels cut into patchSize^2 patches. */
public record ImageModelConfig(int imageSize, int patchSize, int layers, int dModel, int heads, int dFf,
    int promptLayers, int vocabSize, int maxWords) {
  public static final int CHANNELS = 3;

  public ImageModelConfig {
    if (patchSize < 1 || imageSize % patchSize != 0) {
      throw new IllegalArgumentException("image_size " + imageSize + " is not divisible by patch_size " + patchSize);
    }
    if (heads < 1 || dModel % heads != 0) {
      throw new IllegalArgumentException("d_model " + dModel + " is not divisible by heads " + heads);
    }
    if (layers < 1 || dFf < 1 || promptLayers < 0 || vocabSize < 2 || maxWords < 1) {
      throw new IllegalArgumentException("invalid image model config " + this);
    }
  }

  public int gridSize() {
    return imageSize / patchSize;
  }

  public int patches() {
    return gridSize() * gridSize();
  }

  /** Values in one patch: channels * patchSize^2. */
  public int patchDim() {
    return CHANNELS * patchSize * patchSize;
  }

  /** Values in one image: the "latent" dimension D of the log-probabilities. */
  public int imageDim() {
    return CHANNELS * imageSize * imageSize;
  }
}
