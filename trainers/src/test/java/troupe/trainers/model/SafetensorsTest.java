package troupe.trainers.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path folder;

    @Test
    void roundTripIsBitExactAndKeepsOrder() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            LinkedHashMap<String, NDArray> tensors = TensorCodecTest.samples(manager);
            TransformerLM model = TransformerLM.create(manager, TestModels.SMALL, 3);
            tensors.putAll(model.parameters());
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("format", "pt");
            metadata.put("quote\"and\\slash\n", "v\u00e9rsion 7");
            Path file = folder.resolve("model.safetensors");
            Safetensors.write(file, tensors, metadata);

            Map<String, NDArray> back = Safetensors.read(file, manager);
            assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()));
            for (Map.Entry<String, NDArray> entry : tensors.entrySet()) {
                TensorCodecTest.assertBitExact(entry.getValue(), back.get(entry.getKey()), entry.getKey());
            }
            assertEquals(metadata, Safetensors.readMetadata(file));

            // Header layout: u64 LE length (multiple of 8), JSON, data right after.
            byte[] bytes = Files.readAllBytes(file);
            long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLength % 8);
            JsonObject header = JsonParser.parseString(
                    new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8)).getAsJsonObject();
            JsonObject wq = header.getAsJsonObject("layers.0.attn.wq");
            assertEquals("F32", wq.get("dtype").getAsString());
            assertEquals("[32,32]", wq.get("shape").toString());
            long begin = wq.getAsJsonArray("data_offsets").get(0).getAsLong();
            byte[] raw = Arrays.copyOfRange(bytes, (int) (8 + headerLength + begin),
                    (int) (8 + headerLength + begin + 32 * 32 * 4));
            assertArrayEquals(model.parameters().get("layers.0.attn.wq").toByteArray(), raw);
            assertEquals("BOOL", header.getAsJsonObject("bool").get("dtype").getAsString());
            assertEquals("U8", header.getAsJsonObject("u8").get("dtype").getAsString());

            // Overwriting works and leaves no temp files behind.
            Safetensors.write(file, Map.of("only", manager.create(new int[] {5})), null);
            assertEquals(List.of("only"), List.copyOf(Safetensors.read(file, manager).keySet()));
            assertEquals(Map.of(), Safetensors.readMetadata(file));
            try (Stream<Path> files = Files.list(folder)) {
                assertEquals(List.of(file), files.toList());
            }
        }
    }

    @Test
    void matchesTheReferenceByteLayout() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path file = folder.resolve("a.safetensors");
            Safetensors.write(file, Map.of("a", manager.create(new float[] {1f, 2f})), null);
            // What huggingface safetensors (serde_json, compact, space-padded to 8) writes for {"a": [1.0, 2.0]}.
            String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
            int padded = (json.length() + 7) / 8 * 8;
            ByteBuffer expected = ByteBuffer.allocate(8 + padded + 8).order(ByteOrder.LITTLE_ENDIAN);
            expected.putLong(padded).put(json.getBytes(StandardCharsets.US_ASCII));
            while (expected.position() < 8 + padded) {
                expected.put((byte) ' ');
            }
            expected.putFloat(1f).putFloat(2f);
            assertArrayEquals(expected.array(), Files.readAllBytes(file));
        }
    }

    @Test
    void malformedFilesGiveClearIoExceptions() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path good = folder.resolve("good.safetensors");
            Safetensors.write(good, Map.of("w", manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2))),
                    Map.of("k", "v"));
            byte[] bytes = Files.readAllBytes(good);

            Path truncated = folder.resolve("truncated.safetensors");
            Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 3));
            assertMalformed(truncated, manager, "data section");

            Path tiny = folder.resolve("tiny.safetensors");
            Files.write(tiny, new byte[] {1, 2, 3});
            assertMalformed(tiny, manager, "shorter than");

            Path hugeHeader = folder.resolve("huge.safetensors");
            byte[] lying = bytes.clone();
            ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1_000_000L);
            Files.write(hugeHeader, lying);
            assertMalformed(hugeHeader, manager, "header length");

            Path badJson = folder.resolve("badjson.safetensors");
            byte[] broken = bytes.clone();
            broken[8] = '[';
            Files.write(badJson, broken);
            assertMalformed(badJson, manager, "JSON");

            Path badOffsets = folder.resolve("offsets.safetensors");
            String header = new String(bytes, 8, bytes.length - 8 - 16, StandardCharsets.UTF_8);
            Files.write(badOffsets, withHeader(header.replace("[0,16]", "[0,99]"), 16));
            assertMalformed(badOffsets, manager, "out of range");

            Path badDtype = folder.resolve("dtype.safetensors");
            Files.write(badDtype, withHeader(header.replace("F32", "F16"), 16));
            assertMalformed(badDtype, manager, "F16");
        }
    }

    private static byte[] withHeader(String json, int dataBytes) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        return out.array();
    }

    private static void assertMalformed(Path file, NDManager manager, String expectedText) {
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file, manager));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expectedText), e.getMessage());
    }
}
