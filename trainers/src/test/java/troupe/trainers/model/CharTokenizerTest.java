package troupe.trainers.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CharTokenizerTest {

    private final CharTokenizer tokenizer = CharTokenizer.INSTANCE;

    @Test
    void roundTripsPrintableAscii() {
        StringBuilder all = new StringBuilder();
        for (char c = 32; c <= 126; c++) {
            all.append(c);
        }
        int[] ids = tokenizer.encode(all.toString());
        assertEquals(95, ids.length);
        assertEquals(3, ids[0]);
        assertEquals(97, ids[94]);
        assertEquals(98, tokenizer.vocabSize());
        assertEquals(all.toString(), tokenizer.decode(ids));
        assertArrayEquals(new int[] {tokenizer.encode("1")[0], tokenizer.encode("2")[0]}, tokenizer.encode("12"));
    }

    @Test
    void decodeSkipsSpecialsAndStopsAtEos() {
        int[] hi = tokenizer.encode("hi");
        int[] ids = {tokenizer.pad(), tokenizer.bos(), hi[0], hi[1], tokenizer.eos(), hi[0]};
        assertEquals("hi", tokenizer.decode(ids));
        assertEquals(0, tokenizer.pad());
        assertEquals(1, tokenizer.bos());
        assertEquals(2, tokenizer.eos());
    }

    @Test
    void rejectsNonAsciiWithPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("ab\u00e9c"));
        assertTrue(e.getMessage().contains("U+00E9") && e.getMessage().contains("position 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("a\nb"));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {98}));
    }
}
