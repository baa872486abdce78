package troupe.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors file format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length,
 * a UTF-8 JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the
 * raw little-endian tensor bytes, contiguous, offsets relative to the end of the header.
 */
public final class Safetensors {

    private static final String METADATA_KEY = "__metadata__";
    /** The reference implementation refuses larger headers; so do we, to fail fast on garbage. */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private Safetensors() {
    }

    /**
     * Writes the tensors (in map order) atomically: a temp file in the same folder is written, fsynced and renamed
     * over file, so readers never see a partial checkpoint.
     *
     * @param metadata optional string pairs stored under "__metadata__"; null or empty writes none
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        List<byte[]> payloads = new ArrayList<>(tensors.size());
        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            json.append(quote(METADATA_KEY)).append(":{");
            String separator = "";
            for (Map.Entry<String, String> entry : metadata.entrySet()) {
                json.append(separator).append(quote(entry.getKey())).append(':').append(quote(entry.getValue()));
                separator = ",";
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> entry : tensors.entrySet()) {
            String name = entry.getKey();
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY);
            }
            NDArray array = entry.getValue();
            byte[] data = TensorBytes.toBytes(array);
            payloads.add(data);
            json.append(json.length() > 1 ? "," : "").append(quote(name)).append(":{\"dtype\":\"")
                    .append(fileType(array.getDataType())).append("\",\"shape\":[");
            long[] dims = array.getShape().getShape();
            for (int i = 0; i < dims.length; i++) {
                json.append(i > 0 ? "," : "").append(dims[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + data.length).append("]}");
            offset += data.length;
        }
        json.append('}');
        // Pad the header with spaces to a multiple of 8 so the data starts aligned (as the reference writer does).
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(header);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        prefix.flip();

        Path target = file.toAbsolutePath();
        Path folder = target.getParent();
        Path temp = Files.createTempFile(folder, "." + target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(channel, prefix);
                for (byte[] data : payloads) {
                    writeFully(channel, ByteBuffer.wrap(data));
                }
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        syncFolder(folder);
    }

    /** All tensors, in header order, as new arrays owned by manager. */
    public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(file, channel);
            List<Entry> entries = parseEntries(file, header);
            LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
            try {
                for (Entry entry : entries) {
                    ByteBuffer data = ByteBuffer.allocateDirect(Math.toIntExact(entry.end - entry.begin));
                    readFully(file, channel, data, header.dataStart + entry.begin);
                    data.flip();
                    out.put(entry.name, TensorBytes.fromBytes(manager, data, entry.shape, entry.type));
                }
            } catch (IOException | RuntimeException e) {
                out.values().forEach(NDArray::close);
                throw e;
            }
            return out;
        }
    }

    /** The "__metadata__" string pairs (empty if the file has none). */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            JsonObject json = readHeader(file, channel).json;
            LinkedHashMap<String, String> out = new LinkedHashMap<>();
            JsonElement metadata = json.get(METADATA_KEY);
            if (metadata == null) {
                return out;
            }
            if (!metadata.isJsonObject()) {
                throw malformed(file, METADATA_KEY + " is not a JSON object");
            }
            for (Map.Entry<String, JsonElement> entry : metadata.getAsJsonObject().entrySet()) {
                JsonElement value = entry.getValue();
                if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                    throw malformed(file, "metadata value of '" + entry.getKey() + "' is not a string");
                }
                out.put(entry.getKey(), value.getAsString());
            }
            return out;
        }
    }

    /** The parsed JSON header and where the data section starts and how long it is. */
    private record Header(JsonObject json, long dataStart, long dataLength) {
    }

    /** One tensor's header entry, validated. */
    private record Entry(String name, DataType type, Shape shape, long begin, long end) {
    }

    private static Header readHeader(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw malformed(file, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
            throw malformed(file, "header length " + Long.toUnsignedString(headerLength) + " is invalid for a "
                    + size + "-byte file");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(file, channel, headerBytes, 8);
        String text = new String(headerBytes.array(), StandardCharsets.UTF_8);
        JsonElement parsed;
        try {
            parsed = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw malformed(file, "header is not valid JSON (" + e.getMessage() + ")");
        }
        if (!parsed.isJsonObject()) {
            throw malformed(file, "header is not a JSON object");
        }
        return new Header(parsed.getAsJsonObject(), 8 + headerLength, size - 8 - headerLength);
    }

    /** Validates every entry: known dtype, non-negative shape, byte size, contiguous offsets covering the data. */
    private static List<Entry> parseEntries(Path file, Header header) throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> field : header.json.entrySet()) {
            String name = field.getKey();
            if (name.equals(METADATA_KEY)) {
                continue;
            }
            try {
                JsonObject info = field.getValue().getAsJsonObject();
                DataType type = djlType(info.get("dtype").getAsString());
                JsonArray shapeJson = info.get("shape").getAsJsonArray();
                long[] dims = new long[shapeJson.size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = shapeJson.get(i).getAsLong();
                    if (dims[i] < 0) {
                        throw malformed(file, "tensor '" + name + "' has negative dimension " + dims[i]);
                    }
                }
                Shape shape = new Shape(dims);
                JsonArray offsets = info.get("data_offsets").getAsJsonArray();
                if (offsets.size() != 2) {
                    throw malformed(file, "tensor '" + name + "' data_offsets must have 2 entries");
                }
                long begin = offsets.get(0).getAsLong();
                long end = offsets.get(1).getAsLong();
                if (begin < 0 || end < begin || end > header.dataLength) {
                    throw malformed(file, "tensor '" + name + "' data_offsets [" + begin + ", " + end
                            + "] out of range (data section is " + header.dataLength + " bytes)");
                }
                long expected = TensorBytes.byteLength(shape, type);
                if (end - begin != expected) {
                    throw malformed(file, "tensor '" + name + "' has " + (end - begin) + " bytes, shape " + shape
                            + " of " + type + " needs " + expected);
                }
                entries.add(new Entry(name, type, shape, begin, end));
            } catch (IllegalStateException | UnsupportedOperationException | NullPointerException
                    | NumberFormatException | ArithmeticException e) {
                // Gson throws these for missing fields or wrong JSON types.
                throw malformed(file, "tensor '" + name + "' has a bad header entry (" + e + ")");
            }
        }
        // Like the reference reader: the tensors must tile the data section exactly, no gaps or overlaps.
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        long next = 0;
        for (Entry entry : byOffset) {
            if (entry.begin != next) {
                throw malformed(file, "tensor '" + entry.name + "' starts at " + entry.begin + ", expected " + next
                        + " (gap or overlap)");
            }
            next = entry.end;
        }
        if (next != header.dataLength) {
            throw malformed(file, "tensors cover " + next + " bytes but the data section is " + header.dataLength
                    + " bytes");
        }
        return entries;
    }

    private static String fileType(DataType type) {
        switch (type) {
            case FLOAT32:
                return "F32";
            case FLOAT64:
                return "F64";
            case INT32:
                return "I32";
            case INT64:
                return "I64";
            case UINT8:
                return "U8";
            case BOOLEAN:
                return "BOOL";
            default:
                throw new IllegalArgumentException("safetensors: unsupported dtype " + type);
        }
    }

    private static DataType djlType(String name) {
        switch (name) {
            case "F32":
                return DataType.FLOAT32;
            case "F64":
                return DataType.FLOAT64;
            case "I32":
                return DataType.INT32;
            case "I64":
                return DataType.INT64;
            case "U8":
                return DataType.UINT8;
            case "BOOL":
                return DataType.BOOLEAN;
            default:
                throw new UnsupportedOperationException("unsupported dtype \"" + name + "\"");
        }
    }

    /** JSON string literal with the escapes RFC 8259 requires. */
    private static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void readFully(Path file, FileChannel channel, ByteBuffer buffer, long position)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw malformed(file, "unexpected end of file at byte " + at);
            }
            at += read;
        }
    }

    /** Makes the rename durable; some file systems cannot open a folder, which only weakens durability. */
    private static void syncFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // best effort
        }
    }

    private static IOException malformed(Path file, String problem) {
        return new IOException("malformed safetensors file " + file + ": " + problem);
    }
}
