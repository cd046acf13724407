package dev.parlance.inference.gguf;

import dev.parlance.inference.ModelLoadException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A GGUF file (version 2 or 3), memory-mapped: its metadata, its tensor infos, and read-only views of
 * each tensor's bytes. The whole file is mapped into one shared {@link Arena}, so files of any size
 * are read without copying; {@link #close} unmaps it, after which every segment from {@link #data}
 * is unusable.
 *
 * <p>Layout (little-endian): magic {@code GGUF}, {@code u32} version, {@code u64} tensor count,
 * {@code u64} metadata count; the key/value pairs (key = {@code u64} length + UTF-8, {@code u32}
 * value type, value); per tensor its name, {@code u32} n_dims, {@code u64 ne[n_dims]}, {@code u32}
 * ggml type and {@code u64} offset; then, from the end of the tensor infos rounded up to
 * {@code general.alignment} (default 32), the tensor data. See ggml's {@code docs/gguf.md}.
 *
 * <p>Every malformed file is refused with a {@link ModelLoadException} naming the file and the key,
 * tensor or byte at fault. Counts and lengths are checked against the bytes left in the file before
 * anything is allocated for them, so a damaged header cannot exhaust the heap. Tensors of types the
 * engine cannot compute are read like any other; refusing them is the model builder's job.
 */
public final class GgufFile implements AutoCloseable {
    private static final int MAGIC = 0x46554747;  // "GGUF" read as a little-endian u32
    private static final String ALIGNMENT_KEY = "general.alignment";
    private static final long DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    private static final int MAX_NESTING = 16;
    private static final long MAX_KEY_BYTES = 65_535;
    /** Metadata values the reader keeps, array elements included (a 256k vocabulary needs about 1M). */
    private static final long MAX_VALUES = 1L << 24;
    /** UTF-8 bytes of all strings together (a 256k vocabulary needs a few MiB). */
    private static final long MAX_STRING_BYTES = 256L << 20;
    private static final long MIN_KV_BYTES = 8 + 4 + 1;  // key length, value type, smallest value
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;  // name length, n_dims, ne[0], type, offset

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapped;
    private final int version;
    private final Map<String, Object> metadata;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> tensorsByName;
    private final long alignment;
    private final long dataStart;

    private GgufFile(Path path, Arena arena, MemorySegment mapped, Parser parsed) {
        this.path = path;
        this.arena = arena;
        this.mapped = mapped;
        this.version = parsed.version;
        this.metadata = Collections.unmodifiableMap(parsed.metadata);
        this.tensors = Collections.unmodifiableList(parsed.tensors);
        this.tensorsByName = parsed.tensorsByName;
        this.alignment = parsed.alignment;
        this.dataStart = parsed.dataStart;
    }

    /**
     * Maps and parses a GGUF file.
     *
     * @throws ModelLoadException when the file is missing, unreadable, or not a well-formed GGUF file
     *     of version 2 or 3; the message names the file and the problem
     */
    public static GgufFile open(Path file) throws ModelLoadException {
        if (Files.isDirectory(file)) {
            throw new ModelLoadException(file, "is a folder, not a GGUF file");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped = map(file, arena);
            Parser parsed = new Parser(file, mapped);
            parsed.parse();
            return new GgufFile(file, arena, mapped, parsed);
        } catch (Throwable e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment map(Path file, Arena arena) throws ModelLoadException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                throw new ModelLoadException(file, "the file is empty, not a GGUF file");
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(file, "no such file", e);
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read the file: " + e.getMessage(), e);
        }
    }

    /** The format version: 2 or 3. */
    public int version() {
        return version;
    }

    /**
     * Every key/value pair, unmodifiable, in file order. Integers of every width are {@link Long}s,
     * {@code f32} values {@link Float}s, {@code f64} values {@link Double}s, booleans
     * {@link Boolean}s, strings {@link String}s and arrays unmodifiable {@code List<Object>}s of
     * elements under the same rules.
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** A required string value; the error names the key and says it is missing or of another type. */
    public String string(String key) throws ModelLoadException {
        return required(key, String.class, "a string");
    }

    /** A required integer value (of any integer type); the error names the key. */
    public long integer(String key) throws ModelLoadException {
        return required(key, Long.class, "an integer");
    }

    /** An integer value, or empty when the key is absent or holds something else. */
    public OptionalLong optInteger(String key) {
        return metadata.get(key) instanceof Long value ? OptionalLong.of(value) : OptionalLong.empty();
    }

    /** A string value, or empty when the key is absent or holds something else. */
    public Optional<String> optString(String key) {
        return metadata.get(key) instanceof String value ? Optional.of(value) : Optional.empty();
    }

    /** A value of any numeric type as a double, or {@code fallback} when absent or not a number. */
    public double number(String key, double fallback) {
        return metadata.get(key) instanceof Number value ? value.doubleValue() : fallback;
    }

    /**
     * A scale such as an epsilon or a RoPE base, or {@code fallback} when absent or not a
     * number: a value that is 0, negative or not finite is refused, as it would make every
     * answer NaN.
     */
    public double positiveNumber(String key, double fallback) throws ModelLoadException {
        double value = number(key, fallback);
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new ModelLoadException(path, "metadata key " + key + " must be a finite number above 0, was "
                    + value);
        }
        return value;
    }

    /** A boolean value, or {@code fallback} when absent or not a boolean. */
    public boolean bool(String key, boolean fallback) {
        return metadata.get(key) instanceof Boolean value ? value : fallback;
    }

    private <T> T required(String key, Class<T> type, String expected) throws ModelLoadException {
        Object value = metadata.get(key);
        if (value == null) {
            throw new ModelLoadException(path, "metadata key " + key + " is missing");
        }
        if (!type.isInstance(value)) {
            throw new ModelLoadException(path, "metadata key " + key + " is " + describe(value) + ", not " + expected);
        }
        return type.cast(value);
    }

    private static String describe(Object value) {
        return switch (value) {
            case Long n -> "an integer (" + n + ")";
            case Float n -> "a number (" + n + ")";
            case Double n -> "a number (" + n + ")";
            case Boolean b -> "a boolean (" + b + ")";
            case String _ -> "a string";
            case List<?> list -> "an array of " + list.size() + " values";
            default -> value.getClass().getSimpleName();
        };
    }

    /** The tensors, in file order. */
    public List<GgufTensor> tensors() {
        return tensors;
    }

    /** The tensor of this name; the error names it. */
    public GgufTensor tensor(String name) throws ModelLoadException {
        GgufTensor tensor = tensorsByName.get(name);
        if (tensor == null) {
            throw new ModelLoadException(path, "tensor " + name + " is missing");
        }
        return tensor;
    }

    public Optional<GgufTensor> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /**
     * The bytes of one of this file's tensors: a read-only slice of the mapping, exactly
     * {@link GgufTensor#byteSize} long, valid until {@link #close}.
     *
     * @throws IllegalArgumentException when the tensor is not one of this file's
     */
    public MemorySegment data(GgufTensor tensor) {
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException(tensor.name() + " is not a tensor of " + path);
        }
        return mapped.asSlice(dataStart + tensor.offset(), tensor.byteSize());
    }

    /** The alignment of the tensor data, from {@code general.alignment} (default 32). */
    public long alignment() {
        return alignment;
    }

    public Path path() {
        return path;
    }

    /** Unmaps the file; segments from {@link #data} become unusable. Closing twice does nothing. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** The metadata value types, with their ids and the fewest bytes a value of each takes. */
    private enum ValueType {
        U8(0, 1), I8(1, 1), U16(2, 2), I16(3, 2), U32(4, 4), I32(5, 4), F32(6, 4), BOOL(7, 1),
        STRING(8, 8), ARRAY(9, 4 + 8), U64(10, 8), I64(11, 8), F64(12, 8);

        private static final ValueType[] BY_ID = new ValueType[13];

        static {
            for (ValueType type : values()) {
                BY_ID[type.id] = type;
            }
        }

        final int id;
        final long minBytes;

        ValueType(int id, long minBytes) {
            this.id = id;
            this.minBytes = minBytes;
        }

        static ValueType byId(long id) {
            return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
        }
    }

    /** One pass over the mapped bytes; {@link #context} says what is being read, for messages. */
    private static final class Parser {
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final Path path;
        private final MemorySegment bytes;
        private final long size;
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private byte[] scratch = new byte[256];
        private long pos;
        private String context = "the header";
        private long valuesLeft = MAX_VALUES;
        private long stringBytesLeft = MAX_STRING_BYTES;

        int version;
        final Map<String, Object> metadata = new LinkedHashMap<>();
        final List<GgufTensor> tensors = new ArrayList<>();
        final Map<String, GgufTensor> tensorsByName = new HashMap<>();
        long alignment = DEFAULT_ALIGNMENT;
        long dataStart;

        Parser(Path path, MemorySegment bytes) {
            this.path = path;
            this.bytes = bytes;
            this.size = bytes.byteSize();
        }

        void parse() throws ModelLoadException {
            readVersion();
            long tensorCount = count("tensor count", MIN_TENSOR_INFO_BYTES);
            long kvCount = count("metadata count", MIN_KV_BYTES);
            if (tensorCount * MIN_TENSOR_INFO_BYTES > remaining() - kvCount * MIN_KV_BYTES) {
                throw new ModelLoadException(path, "truncated, or absurd counts: " + tensorCount + " tensors and "
                        + kvCount + " metadata entries cannot fit in the " + remaining() + " bytes after the header");
            }
            for (long i = 0; i < kvCount; i++) {
                readKeyValue(i);
            }
            for (long i = 0; i < tensorCount; i++) {
                readTensorInfo(i);
            }
            dataStart = (pos + alignment - 1) / alignment * alignment;
            checkPlacement();
        }

        private void readVersion() throws ModelLoadException {
            if (size < 4 || bytes.get(U32, 0) != MAGIC) {
                byte[] start = bytes.asSlice(0, Math.min(size, 4)).toArray(ValueLayout.JAVA_BYTE);
                throw new ModelLoadException(path, "not a GGUF file: it starts with " + hex(start)
                        + " rather than the magic GGUF (47 47 55 46)");
            }
            pos = 4;
            long read = u32();
            if (read == 1) {
                throw new ModelLoadException(path,
                        "GGUF version 1 is too old; convert the model again with a recent llama.cpp");
            }
            if (read == Integer.reverseBytes(2) || read == Integer.reverseBytes(3)) {
                throw new ModelLoadException(path, "a big-endian GGUF file, which this reader does not support");
            }
            if (read != 2 && read != 3) {
                throw new ModelLoadException(path, "unsupported GGUF version " + read + " (versions 2 and 3 are read)");
            }
            version = (int) read;
        }

        private void readKeyValue(long index) throws ModelLoadException {
            context = "metadata entry " + index;
            String key = string("key", MAX_KEY_BYTES);
            context = "metadata key " + key;
            if (metadata.containsKey(key)) {
                throw new ModelLoadException(path, "duplicate metadata key " + key);
            }
            long typeId = u32();
            ValueType type = ValueType.byId(typeId);
            if (type == null) {
                throw new ModelLoadException(path, "unknown metadata value type " + typeId + " for key " + key);
            }
            Object value = value(type, 0);
            if (key.equals(ALIGNMENT_KEY)) {
                alignment = checkedAlignment(type, value);
            }
            metadata.put(key, value);
        }

        private long checkedAlignment(ValueType type, Object value) throws ModelLoadException {
            if (type != ValueType.U32) {
                throw new ModelLoadException(path, ALIGNMENT_KEY + " is of type " + type + ", not U32");
            }
            long candidate = (Long) value;
            if (candidate == 0 || Long.bitCount(candidate) != 1) {
                throw new ModelLoadException(path, ALIGNMENT_KEY + " is " + candidate + ", not a power of two");
            }
            return candidate;
        }

        private Object value(ValueType type, int depth) throws ModelLoadException {
            if (--valuesLeft < 0) {
                throw new ModelLoadException(path, "absurd: more than " + MAX_VALUES + " metadata values (at "
                        + context + ")");
            }
            return switch (type) {
                case U8 -> (long) (u8() & 0xFF);
                case I8 -> (long) u8();
                case U16 -> (long) (u16() & 0xFFFF);
                case I16 -> (long) u16();
                case U32 -> u32();
                case I32 -> (long) (int) u32();
                case U64 -> {
                    long start = pos;
                    long value = u64();
                    if (value < 0) {
                        throw new ModelLoadException(path, "absurd u64 value " + Long.toUnsignedString(value)
                                + " at byte " + start + " (" + context + "), above " + Long.MAX_VALUE);
                    }
                    yield value;
                }
                case I64 -> u64();
                case F32 -> {
                    need(4);
                    float value = bytes.get(F32, pos);
                    pos += 4;
                    yield value;
                }
                case F64 -> {
                    need(8);
                    double value = bytes.get(F64, pos);
                    pos += 8;
                    yield value;
                }
                case BOOL -> u8() != 0;
                case STRING -> string("string", MAX_STRING_BYTES);
                case ARRAY -> array(depth + 1);
            };
        }

        private List<Object> array(int depth) throws ModelLoadException {
            if (depth > MAX_NESTING) {
                throw new ModelLoadException(path, "arrays nested more than " + MAX_NESTING + " deep (" + context + ")");
            }
            long typeId = u32();
            ValueType type = ValueType.byId(typeId);
            if (type == null) {
                throw new ModelLoadException(path, "unknown array element type " + typeId + " (" + context + ")");
            }
            long count = count("array length", type.minBytes);
            if (count > valuesLeft) {
                throw new ModelLoadException(path, "absurd array length " + count + " (" + context + "): more than "
                        + MAX_VALUES + " metadata values in all");
            }
            Object[] items = new Object[(int) count];
            for (int i = 0; i < items.length; i++) {
                items[i] = value(type, depth);
            }
            return Collections.unmodifiableList(Arrays.asList(items));
        }

        private void readTensorInfo(long index) throws ModelLoadException {
            context = "tensor info " + index;
            String name = string("tensor name", MAX_STRING_BYTES);
            context = "tensor " + name;
            if (tensorsByName.containsKey(name)) {
                throw new ModelLoadException(path, "duplicate tensor name " + name);
            }
            long nDims = u32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw new ModelLoadException(path, "tensor " + name + " has " + nDims + " dimensions; 1 to "
                        + MAX_DIMS + " are allowed");
            }
            long[] ne = new long[(int) nDims];
            for (int d = 0; d < ne.length; d++) {
                ne[d] = u64();
                if (ne[d] <= 0) {
                    throw new ModelLoadException(path, "tensor " + name + " has extent " + Long.toUnsignedString(ne[d])
                            + " in dimension " + d + "; every extent must be at least 1 (and below 2^63)");
                }
            }
            long typeId = u32();
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw new ModelLoadException(path, "tensor " + name + " has unknown ggml type id " + typeId);
            }
            if (ne[0] % type.blockSize() != 0) {
                throw new ModelLoadException(path, "tensor " + name + " has rows of " + ne[0] + " values, not a whole"
                        + " number of " + type + " blocks of " + type.blockSize());
            }
            long byteSize;
            try {
                long rows = 1;
                for (int d = 1; d < ne.length; d++) {
                    rows = Math.multiplyExact(rows, ne[d]);
                }
                byteSize = Math.multiplyExact(Math.multiplyExact(ne[0] / type.blockSize(), type.blockBytes()), rows);
            } catch (ArithmeticException e) {
                throw new ModelLoadException(path, "absurd shape " + Arrays.toString(ne) + " of tensor " + name
                        + ": its byte size overflows");
            }
            long offsetAt = pos;
            long offset = u64();
            if (offset < 0) {
                throw new ModelLoadException(path, "absurd offset " + Long.toUnsignedString(offset) + " of tensor "
                        + name + " at byte " + offsetAt);
            }
            GgufTensor tensor = new GgufTensor(name, type, ne, offset, byteSize);
            tensors.add(tensor);
            tensorsByName.put(name, tensor);
        }

        /** Each tensor aligned, inside the file, and clear of the others. */
        private void checkPlacement() throws ModelLoadException {
            long dataBytes = size - dataStart;
            for (GgufTensor tensor : tensors) {
                if (tensor.offset() % alignment != 0) {
                    throw new ModelLoadException(path, "tensor " + tensor.name() + " has offset " + tensor.offset()
                            + ", not a multiple of the alignment " + alignment);
                }
                if (tensor.offset() > dataBytes - tensor.byteSize()) {
                    throw new ModelLoadException(path, "truncated or damaged: tensor " + tensor.name() + " ("
                            + tensor.byteSize() + " bytes at offset " + tensor.offset() + " of the tensor data, which"
                            + " starts at byte " + dataStart + ") extends past the end of the file at byte " + size);
                }
            }
            List<GgufTensor> byOffset = new ArrayList<>(tensors);
            byOffset.sort(Comparator.comparingLong(GgufTensor::offset));
            for (int i = 1; i < byOffset.size(); i++) {
                GgufTensor before = byOffset.get(i - 1);
                GgufTensor after = byOffset.get(i);
                if (after.offset() < before.offset() + before.byteSize()) {
                    throw new ModelLoadException(path, "tensors " + before.name() + " and " + after.name()
                            + " overlap: the first ends at offset " + (before.offset() + before.byteSize())
                            + " of the tensor data, the second starts at " + after.offset());
                }
            }
        }

        private long remaining() {
            return size - pos;
        }

        private void need(long count) throws ModelLoadException {
            if (count > remaining()) {
                throw new ModelLoadException(path, "truncated: " + context + " needs " + count + " more bytes at byte "
                        + pos + ", but the file ends at byte " + size);
            }
        }

        private byte u8() throws ModelLoadException {
            need(1);
            return bytes.get(ValueLayout.JAVA_BYTE, pos++);
        }

        private short u16() throws ModelLoadException {
            need(2);
            short value = bytes.get(U16, pos);
            pos += 2;
            return value;
        }

        private long u32() throws ModelLoadException {
            need(4);
            long value = Integer.toUnsignedLong(bytes.get(U32, pos));
            pos += 4;
            return value;
        }

        private long u64() throws ModelLoadException {
            need(8);
            long value = bytes.get(U64, pos);
            pos += 8;
            return value;
        }

        /**
         * A {@code u64} count of items that take at least {@code minBytes} each, which the rest of
         * the file must be able to hold.
         */
        private long count(String what, long minBytes) throws ModelLoadException {
            long start = pos;
            long count = u64();
            if (count < 0 || count > Integer.MAX_VALUE) {
                throw new ModelLoadException(path, "absurd " + what + " " + Long.toUnsignedString(count) + " at byte "
                        + start + " (" + context + ")");
            }
            if (count > remaining() / minBytes) {
                throw new ModelLoadException(path, "truncated, or an absurd " + what + ": " + what + " " + count
                        + " at byte " + start + " (" + context + ") needs at least " + count * minBytes + " bytes but "
                        + remaining() + " are left");
            }
            return count;
        }

        private String string(String what, long maxBytes) throws ModelLoadException {
            long start = pos;
            long length = u64();
            if (length < 0 || length > maxBytes) {
                throw new ModelLoadException(path, "absurd " + what + " length " + Long.toUnsignedString(length)
                        + " at byte " + start + " (" + context + ")");
            }
            if (length > stringBytesLeft) {
                throw new ModelLoadException(path, "absurd: more than " + MAX_STRING_BYTES + " bytes of strings in all"
                        + " (at " + context + ")");
            }
            if (length > remaining()) {
                throw new ModelLoadException(path, "truncated, or an absurd length: a " + what + " of " + length
                        + " bytes at byte " + start + " (" + context + ") runs past the end of the file at byte " + size);
            }
            stringBytesLeft -= length;
            int n = (int) length;
            if (scratch.length < n) {
                scratch = new byte[Math.max(n, 2 * scratch.length)];
            }
            MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, pos, scratch, 0, n);
            String text = isAscii(n) ? new String(scratch, 0, n, StandardCharsets.US_ASCII) : decodeUtf8(n, what);
            pos += n;
            return text;
        }

        private boolean isAscii(int n) {
            for (int i = 0; i < n; i++) {
                if (scratch[i] < 0) {
                    return false;
                }
            }
            return true;
        }

        private String decodeUtf8(int n, String what) throws ModelLoadException {
            try {
                return utf8.decode(ByteBuffer.wrap(scratch, 0, n)).toString();
            } catch (CharacterCodingException e) {
                throw new ModelLoadException(path, "invalid UTF-8 in the " + what + " at byte " + pos + " (" + context + ")");
            }
        }

        private static String hex(byte[] start) {
            if (start.length == 0) {
                return "nothing";
            }
            var text = new StringBuilder();
            for (byte b : start) {
                text.append(text.isEmpty() ? "" : " ").append(String.format("%02x", b & 0xFF));
            }
            return text.toString();
        }
    }
}
