package troupe.trainers.model;

/**
 * Character-level tokenizer: PAD=0, BOS=1, EOS=2, then printable ASCII 32..126 as ids 3..97.
 * Thread-safe and stateless.
 */
public final class CharTokenizer {

    public static final CharTokenizer INSTANCE = new CharTokenizer();

    private static final int PAD = 0;
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int FIRST_CHAR = 32;
    private static final int LAST_CHAR = 126;
    /** Id of the character FIRST_CHAR; the special tokens take the ids below it. */
    private static final int CHAR_OFFSET = 3;

    private CharTokenizer() {
    }

    public int pad() {
        return PAD;
    }

    public int bos() {
        return BOS;
    }

    public int eos() {
        return EOS;
    }

    /** 3 special tokens + 95 printable characters = 98. */
    public int vocabSize() {
        return CHAR_OFFSET + (LAST_CHAR - FIRST_CHAR + 1);
    }

    /** Encodes text without adding BOS/EOS. */
    public int[] encode(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < FIRST_CHAR || c > LAST_CHAR) {
                throw new IllegalArgumentException(String.format(
                        "character U+%04X at position %d is not printable ASCII (32..126)", (int) c, i));
            }
            ids[i] = c - FIRST_CHAR + CHAR_OFFSET;
        }
        return ids;
    }

    /** Decodes ids to text: skips PAD/BOS, stops at the first EOS, rejects ids outside the vocabulary. */
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder(ids.length);
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id == EOS) {
                break;
            }
            if (id == PAD || id == BOS) {
                continue;
            }
            if (id < CHAR_OFFSET || id >= vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " at position " + i + " is outside the vocabulary");
            }
            text.append((char) (id - CHAR_OFFSET + FIRST_CHAR));
        }
        return text.toString();
    }
}
