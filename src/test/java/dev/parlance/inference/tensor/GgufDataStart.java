package dev.parlance.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Where a GGUF file's tensor data starts: after the header, the key/value pairs and the tensor
 * infos, rounded up to {@code general.alignment} (32 when absent). Only what the fixture test
 * needs, until the engine's GGUF reader is on main.
 */
final class GgufDataStart {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int STRING = 8;
    private static final int ARRAY = 9;
    private static final int[] SIZES = {1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8};

    private final MemorySegment file;
    private long at;

    private GgufDataStart(MemorySegment file) {
        this.file = file;
    }

    static long of(MemorySegment file) {
        return new GgufDataStart(file).read();
    }

    private long read() {
        if (file.get(INT, 0) != 0x46554747) {
            throw new IllegalArgumentException("not a GGUF file");
        }
        at = 8;
        long tensors = file.get(LONG, at);
        long pairs = file.get(LONG, at + 8);
        at += 16;
        long alignment = 32;
        for (long i = 0; i < pairs; i++) {
            String key = string();
            int type = file.get(INT, at);
            at += 4;
            if (key.equals("general.alignment")) {
                alignment = Integer.toUnsignedLong(file.get(INT, at));
            }
            skip(type);
        }
        for (long i = 0; i < tensors; i++) {
            string();
            int dims = file.get(INT, at);
            at += 4 + 8L * dims + 4 + 8;
        }
        return (at + alignment - 1) / alignment * alignment;
    }

    private String string() {
        long length = file.get(LONG, at);
        String value = new String(file.asSlice(at + 8, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        at += 8 + length;
        return value;
    }

    private void skip(int type) {
        if (type == STRING) {
            string();
        } else if (type == ARRAY) {
            int elementType = file.get(INT, at);
            long count = file.get(LONG, at + 4);
            at += 12;
            for (long i = 0; i < count; i++) {
                skip(elementType);
            }
        } else {
            at += SIZES[type];
        }
    }
}
