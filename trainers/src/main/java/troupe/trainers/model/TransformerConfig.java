package troupe.trainers.model;

/**
 * Shape of a decoder-only transformer.
 *
 * @param vocabSize number of token ids (logits width)
 * @param layers number of decoder layers
 * @param dModel width of the residual stream
 * @param heads number of attention heads; dModel / heads is the head dimension
 * @param dFf hidden width of the MLP
 * @param maxSeqLen longest sequence (prompt + completion) the model is used with
 */
public record TransformerConfig(int vocabSize, int layers, int dModel, int heads, int dFf, int maxSeqLen) {

    /** Throws IllegalArgumentException naming the first bad field. */
    public TransformerConfig validate() {
        requirePositive("vocabSize", vocabSize);
        requirePositive("layers", layers);
        requirePositive("dModel", dModel);
        requirePositive("heads", heads);
        requirePositive("dFf", dFf);
        requirePositive("maxSeqLen", maxSeqLen);
        if (dModel % heads != 0) {
            throw new IllegalArgumentException(
                    "dModel (" + dModel + ") must be divisible by heads (" + heads + ")");
        }
        // RoPE rotates pairs of channels, so each head needs an even number of them.
        if (headDim() % 2 != 0) {
            throw new IllegalArgumentException(
                    "head dimension dModel/heads (" + headDim() + ") must be even for RoPE");
        }
        return this;
    }

    /** Channels per attention head. */
    public int headDim() {
        return dModel / heads;
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + value);
        }
    }
}
