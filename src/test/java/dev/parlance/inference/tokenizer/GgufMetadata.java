package dev.parlance.inference.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key/value section of a GGUF file, for the tokenizer tests until the project's GGUF reader
 * exists: integers as Long, f32 as Float, f64 as Double, bool as Boolean, strings, arrays as lists.
 */
final class GgufMetadata {
    private final ByteBuffer buffer;

    private GgufMetadata(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    static Map<String, Object> read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file)) {
            ByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size())
                    .order(ByteOrder.LITTLE_ENDIAN);
            return new GgufMetadata(buffer).keyValues();
        }
    }

    private Map<String, Object> keyValues() throws IOException {
        if (buffer.getInt() != 0x46554747) {
            throw new IOException("not a GGUF file");
        }
        buffer.getInt(); // version
        buffer.getLong(); // tensor count
        long count = buffer.getLong();
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            String key = string();
            metadata.put(key, value(buffer.getInt()));
        }
        return metadata;
    }

    private Object value(int type) throws IOException {
        return switch (type) {
            case 0 -> (long) Byte.toUnsignedInt(buffer.get());
            case 1 -> (long) buffer.get();
            case 2 -> (long) Short.toUnsignedInt(buffer.getShort());
            case 3 -> (long) buffer.getShort();
            case 4 -> Integer.toUnsignedLong(buffer.getInt());
            case 5 -> (long) buffer.getInt();
            case 6 -> buffer.getFloat();
            case 7 -> buffer.get() != 0;
            case 8 -> string();
            case 9 -> array();
            case 10, 11 -> buffer.getLong();
            case 12 -> buffer.getDouble();
            default -> throw new IOException("unknown GGUF value type " + type);
        };
    }

    private List<Object> array() throws IOException {
        int type = buffer.getInt();
        long count = buffer.getLong();
        List<Object> values = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            values.add(value(type));
        }
        return values;
    }

    private String string() {
        byte[] bytes = new byte[Math.toIntExact(buffer.getLong())];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
