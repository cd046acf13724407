package dev.parlance.inference.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a safetensors file from float32 values, stored as F32, F16 or BF16. Used to make
 * synthetic models for benchmarks and tests; the values are produced tensor by tensor so a large
 * file never sits in memory.
 */
public final class SafeTensorsWriter {
    /** Produces a tensor's values, in row-major order, a chunk at a time. */
    @FunctionalInterface
    public interface Values {
        void fill(long offset, float[] chunk, int count);
    }

    private record Entry(String name, long[] shape, Values values) {}

    private final SafeTensors.DType dtype;
    private final List<Entry> entries = new ArrayList<>();

    public SafeTensorsWriter(SafeTensors.DType dtype) {
        this.dtype = dtype;
    }

    public SafeTensorsWriter add(String name, long[] shape, Values values) {
        entries.add(new Entry(name, shape, values));
        return this;
    }

    /** Writes all tensors added so far to {@code file}. */
    public void write(Path file) throws IOException {
        JsonObject header = new JsonObject();
        long offset = 0;
        for (Entry e : entries) {
            JsonObject tensor = new JsonObject();
            tensor.addProperty("dtype", dtype.name());
            JsonArray shape = new JsonArray();
            for (long d : e.shape()) {
                shape.add(d);
            }
            tensor.add("shape", shape);
            long bytes = elements(e.shape()) * dtype.bytes;
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            tensor.add("data_offsets", offsets);
            header.add(e.name(), tensor);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) {
                head.put((byte) ' ');
            }
            writeFully(out, head.flip());
            float[] chunk = new float[1 << 18];
            ByteBuffer buffer = ByteBuffer.allocateDirect(chunk.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                long total = elements(e.shape());
                for (long at = 0; at < total; at += chunk.length) {
                    int n = (int) Math.min(chunk.length, total - at);
                    e.values().fill(at, chunk, n);
                    buffer.clear();
                    for (int i = 0; i < n; i++) {
                        putValue(buffer, chunk[i]);
                    }
                    writeFully(out, buffer.flip());
                }
            }
        }
    }

    private void putValue(ByteBuffer buffer, float value) {
        switch (dtype) {
            case F32:
                buffer.putFloat(value);
                break;
            case BF16:
                buffer.putShort((short) (Float.floatToRawIntBits(value) >>> 16));
                break;
            case F16:
                buffer.putShort(floatToHalf(value));
                break;
            default:
                throw new IllegalStateException(dtype.toString());
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** float32 to binary16, rounding to nearest even; values here are small, so no overflow handling beyond infinity. */
    static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = bits & 0x7fffff;
        if (exponent >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (exponent <= 0) {
            if (exponent < -10) {
                return (short) sign;
            }
            mantissa |= 0x800000;
            int shift = 14 - exponent;
            int half = mantissa >> shift;
            int rest = mantissa & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (exponent << 10) | (mantissa >> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }
}
