package dev.parlance.inference.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a GGUF version 3 file: metadata of every value type and tensors of any {@link GgmlType},
 * given as their raw block bytes, laid out as {@link GgufFile} reads them (ggml's
 * {@code docs/gguf.md}): the header, the key/value pairs, the tensor infos, then the tensor data from
 * the next multiple of {@value #ALIGNMENT}, every tensor starting at a multiple of {@value #ALIGNMENT}
 * and zero-padded to the next one.
 *
 * <p>Everything is checked as it is added (value ranges, duplicate keys and names, rows of whole
 * blocks), so {@link #write} fails only on I/O or on a {@link RowWriter}'s exception. Tensor bytes are
 * produced row by row while the file is written and pass through one small buffer, so a file of any
 * size needs little heap; only the metadata is held in memory.
 */
public final class GgufFileWriter {
    /** The alignment of tensor data; {@code general.alignment}, when given, must say the same. */
    public static final int ALIGNMENT = 32;

    private static final int MAGIC = 0x46554747;  // "GGUF" read as a little-endian u32
    private static final int VERSION = 3;
    private static final int MAX_DIMS = 4;
    private static final int BUFFER_BYTES = 1 << 20;

    /** The types of metadata values, with their GGUF ids. */
    public enum ValueType {
        UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8),
        ARRAY(9), UINT64(10), INT64(11), FLOAT64(12);

        private final int id;

        ValueType(int id) {
            this.id = id;
        }

        public int id() {
            return id;
        }
    }

    /**
     * An array value.
     *
     * @param elementType the type of every element
     * @param items the elements, each of a Java type {@link #put} accepts for {@code elementType}
     *     (nested arrays are {@code Array}s); copied
     */
    public record Array(ValueType elementType, List<?> items) {
        public Array {
            Objects.requireNonNull(elementType, "elementType");
            items = List.copyOf(items);
        }
    }

    /** Produces one row of a tensor: {@code ne[0]} values as whole blocks of the tensor's type. */
    @FunctionalInterface
    public interface RowWriter {
        /**
         * Writes row {@code row} (0 to the product of {@code ne[1..]}, exclusive).
         *
         * @param out exactly the row's bytes, zeroed; every byte should be written
         */
        void write(long row, MemorySegment out);
    }

    private record Tensor(String name, GgmlType type, long[] ne, long rows, long rowBytes, RowWriter writer) {
        long byteSize() {
            return rows * rowBytes;
        }
    }

    private record Value(ValueType type, Object value) {}

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /**
     * Adds a key/value pair. Integers are {@code Byte}, {@code Short}, {@code Integer} or {@code Long}
     * values in the type's range ({@link ValueType#UINT64} takes any long, its 64 bits written as
     * they are); {@code FLOAT32} takes a {@code Float}, {@code FLOAT64} a {@code Double}, {@code BOOL}
     * a {@code Boolean}, {@code STRING} a {@code String} and {@code ARRAY} an {@link Array}.
     *
     * @throws IllegalArgumentException when the key is empty or already present, or the value does not
     *     fit its type; the message names the key
     */
    public GgufFileWriter put(String key, ValueType type, Object value) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("a metadata key is empty");
        }
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("duplicate metadata key " + key);
        }
        check(key, type, value);
        if (key.equals("general.alignment") && !(type == ValueType.UINT32 && ((Number) value).longValue() == ALIGNMENT)) {
            throw new IllegalArgumentException("general.alignment must be the UINT32 " + ALIGNMENT
                    + ", the alignment this writer lays tensors out with");
        }
        metadata.put(key, new Value(type, value));
        return this;
    }

    public GgufFileWriter putString(String key, String value) {
        return put(key, ValueType.STRING, value);
    }

    public GgufFileWriter putUint32(String key, long value) {
        return put(key, ValueType.UINT32, value);
    }

    public GgufFileWriter putFloat32(String key, float value) {
        return put(key, ValueType.FLOAT32, value);
    }

    public GgufFileWriter putBool(String key, boolean value) {
        return put(key, ValueType.BOOL, value);
    }

    public GgufFileWriter putArray(String key, ValueType elementType, List<?> items) {
        return put(key, ValueType.ARRAY, new Array(elementType, items));
    }

    /**
     * Adds a tensor whose rows {@code writer} produces while the file is written.
     *
     * @param ne the extent in each dimension, {@code ne[0]} the row length (a matrix of HF shape
     *     [out, in] has {@code ne = [in, out]}); copied
     * @throws IllegalArgumentException when the name is taken, there are not 1 to 4 positive extents, or
     *     a row is not a whole number of blocks of {@code type}
     */
    public GgufFileWriter tensor(String name, GgmlType type, long[] ne, RowWriter writer) {
        return add(checked(name, type, ne, writer));
    }

    /**
     * Adds a tensor whose bytes are all given.
     *
     * @param data the bytes, row after row; read while the file is written, so it must stay valid
     * @throws IllegalArgumentException as {@link #tensor(String, GgmlType, long[], RowWriter)} does, or
     *     when {@code data} is not exactly the tensor's size
     */
    public GgufFileWriter tensor(String name, GgmlType type, long[] ne, MemorySegment data) {
        Tensor tensor = checked(name, type, ne,
                (row, out) -> out.copyFrom(data.asSlice(row * out.byteSize(), out.byteSize())));
        if (data.byteSize() != tensor.byteSize()) {
            throw new IllegalArgumentException("tensor " + name + " takes " + tensor.byteSize() + " bytes, not "
                    + data.byteSize());
        }
        return add(tensor);
    }

    private Tensor checked(String name, GgmlType type, long[] ne, RowWriter writer) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(writer, "writer");
        if (tensorNames.contains(name)) {
            throw new IllegalArgumentException("duplicate tensor name " + name);
        }
        if (ne.length < 1 || ne.length > MAX_DIMS) {
            throw new IllegalArgumentException("tensor " + name + " has " + ne.length + " dimensions; 1 to "
                    + MAX_DIMS + " are allowed");
        }
        long rows = 1;
        for (int d = 0; d < ne.length; d++) {
            if (ne[d] < 1) {
                throw new IllegalArgumentException("tensor " + name + " has extent " + ne[d] + " in dimension " + d);
            }
            if (d > 0) {
                if (rows > Long.MAX_VALUE / ne[d]) {
                    throw new IllegalArgumentException("tensor " + name + " has absurd extents");
                }
                rows *= ne[d];
            }
        }
        long rowBytes;
        try {
            rowBytes = type.bytesFor(ne[0]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor " + name + ": rows of " + e.getMessage(), e);
        }
        if (rows > Long.MAX_VALUE / 2 / rowBytes) {
            throw new IllegalArgumentException("tensor " + name + " of " + rows + " rows of " + rowBytes
                    + " bytes is larger than a file can hold");
        }
        return new Tensor(name, type, ne.clone(), rows, rowBytes, writer);
    }

    private GgufFileWriter add(Tensor tensor) {
        tensorNames.add(tensor.name());
        tensors.add(tensor);
        return this;
    }

    /**
     * Writes the file, replacing any file of that name; on failure the partial file is deleted.
     *
     * @throws IOException when the file cannot be written
     */
    public void write(Path file) throws IOException {
        byte[] header = header();
        long dataStart = align(header.length);
        boolean written = false;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
                Arena arena = Arena.ofConfined()) {
            writeFully(out, ByteBuffer.wrap(header));
            if (tensors.isEmpty()) {
                written = true;
                return;
            }
            long largestRow = tensors.stream().mapToLong(Tensor::rowBytes).max().orElse(0);
            MemorySegment buffer = arena.allocate(Math.max(BUFFER_BYTES, largestRow + ALIGNMENT));
            long used = dataStart - header.length;  // zero padding before the data
            for (Tensor tensor : tensors) {
                for (long row = 0; row < tensor.rows; row++) {
                    if (used + tensor.rowBytes > buffer.byteSize()) {
                        writeFully(out, buffer.asSlice(0, used).asByteBuffer());
                        buffer.fill((byte) 0);
                        used = 0;
                    }
                    tensor.writer.write(row, buffer.asSlice(used, tensor.rowBytes));
                    used += tensor.rowBytes;
                }
                long padding = align(tensor.byteSize()) - tensor.byteSize();
                if (used + padding > buffer.byteSize()) {
                    writeFully(out, buffer.asSlice(0, used).asByteBuffer());
                    buffer.fill((byte) 0);
                    used = 0;
                }
                used += padding;
            }
            writeFully(out, buffer.asSlice(0, used).asByteBuffer());
            written = true;
        } finally {
            if (!written) {
                Files.deleteIfExists(file);
            }
        }
    }

    private byte[] header() {
        var out = new LittleEndianBytes();
        out.u32(MAGIC);
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, Value> entry : metadata.entrySet()) {
            out.string(entry.getKey());
            out.u32(entry.getValue().type().id);
            out.value(entry.getValue().type(), entry.getValue().value());
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            out.string(tensor.name);
            out.u32(tensor.ne.length);
            for (long n : tensor.ne) {
                out.u64(n);
            }
            out.u32(tensor.type.id());
            out.u64(offset);
            offset += align(tensor.byteSize());
        }
        return out.toByteArray();
    }

    private static void check(String key, ValueType type, Object value) {
        Objects.requireNonNull(type, "type");
        boolean fits = switch (type) {
            case UINT8 -> integerIn(value, 0, 0xFF);
            case INT8 -> integerIn(value, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> integerIn(value, 0, 0xFFFF);
            case INT16 -> integerIn(value, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> integerIn(value, 0, 0xFFFF_FFFFL);
            case INT32 -> integerIn(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> integerIn(value, Long.MIN_VALUE, Long.MAX_VALUE);
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> value instanceof Array;
        };
        if (!fits) {
            throw new IllegalArgumentException("metadata key " + key + ": " + describe(value) + " is not a "
                    + type + " value");
        }
        if (value instanceof Array array) {
            for (int i = 0; i < array.items().size(); i++) {
                check(key + "[" + i + "]", array.elementType(), array.items().get(i));
            }
        }
    }

    private static boolean integerIn(Object value, long min, long max) {
        return (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)
                && ((Number) value).longValue() >= min && ((Number) value).longValue() <= max;
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }

    private static long align(long position) {
        return (position + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    /** The header's bytes, little-endian. */
    private static final class LittleEndianBytes extends ByteArrayOutputStream {
        void le(long v, int bytes) {
            for (int i = 0; i < bytes; i++) {
                write((int) (v >>> (8 * i)));
            }
        }

        void u32(long v) {
            le(v, 4);
        }

        void u64(long v) {
            le(v, 8);
        }

        void string(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            write(bytes, 0, bytes.length);
        }

        void value(ValueType type, Object value) {
            switch (type) {
                case UINT8, INT8 -> le(((Number) value).longValue(), 1);
                case UINT16, INT16 -> le(((Number) value).longValue(), 2);
                case UINT32, INT32 -> le(((Number) value).longValue(), 4);
                case UINT64, INT64 -> le(((Number) value).longValue(), 8);
                case FLOAT32 -> le(Float.floatToRawIntBits((Float) value), 4);
                case FLOAT64 -> le(Double.doubleToRawLongBits((Double) value), 8);
                case BOOL -> le((Boolean) value ? 1 : 0, 1);
                case STRING -> string((String) value);
                case ARRAY -> {
                    Array array = (Array) value;
                    u32(array.elementType().id);
                    u64(array.items().size());
                    for (Object item : array.items()) {
                        value(array.elementType(), item);
                    }
                }
            }
        }
    }
}
