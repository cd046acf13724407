package dev.parlance.inference.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes GGUF files byte by byte for tests, following the layout of ggml's {@code docs/gguf.md}
 * rather than {@link GgufFile}. Everything is written as given, so it writes malformed files too:
 * any version, counts that disagree with the entries, unknown type ids, raw key bytes, explicit
 * tensor offsets.
 */
final class GgufWriter {
    static final int U8 = 0;
    static final int I8 = 1;
    static final int U16 = 2;
    static final int I16 = 3;
    static final int U32 = 4;
    static final int I32 = 5;
    static final int F32 = 6;
    static final int BOOL = 7;
    static final int STRING = 8;
    static final int ARRAY = 9;
    static final int U64 = 10;
    static final int I64 = 11;
    static final int F64 = 12;
    /** The tensor offset that places a tensor at the next aligned offset after the previous one. */
    static final long NEXT = Long.MIN_VALUE;

    /** A metadata value: its type id and its payload (a number, boolean, String, raw byte[] or {@link Array}). */
    record Value(int type, Object payload) {}

    /** The payload of an array value; items are payloads of {@code elementType}. */
    record Array(int elementType, List<Object> items) {}

    private record Entry(byte[] key, Value value) {}

    private record Tensor(byte[] name, long[] ne, int typeId, long offset, byte[] data) {}

    private byte[] magic = "GGUF".getBytes(StandardCharsets.US_ASCII);
    private long version = 3;
    private Long tensorCount;
    private Long kvCount;
    private long alignment = 32;
    private final List<Entry> entries = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();

    static Value u8(long v) {
        return new Value(U8, v);
    }

    static Value i8(long v) {
        return new Value(I8, v);
    }

    static Value u16(long v) {
        return new Value(U16, v);
    }

    static Value i16(long v) {
        return new Value(I16, v);
    }

    static Value u32(long v) {
        return new Value(U32, v);
    }

    static Value i32(long v) {
        return new Value(I32, v);
    }

    static Value u64(long v) {
        return new Value(U64, v);
    }

    static Value i64(long v) {
        return new Value(I64, v);
    }

    static Value f32(float v) {
        return new Value(F32, v);
    }

    static Value f64(double v) {
        return new Value(F64, v);
    }

    static Value bool(boolean v) {
        return new Value(BOOL, v);
    }

    static Value str(String v) {
        return new Value(STRING, v);
    }

    static Value array(int elementType, Object... items) {
        return new Value(ARRAY, new Array(elementType, List.of(items)));
    }

    GgufWriter magic(String text) {
        magic = text.getBytes(StandardCharsets.US_ASCII);
        return this;
    }

    GgufWriter version(long v) {
        version = v;
        return this;
    }

    /** Writes this tensor count instead of the number of tensors added. */
    GgufWriter tensorCount(long count) {
        tensorCount = count;
        return this;
    }

    /** Writes this metadata count instead of the number of entries added. */
    GgufWriter kvCount(long count) {
        kvCount = count;
        return this;
    }

    /** Adds {@code general.alignment} (u32) and lays the tensor data out with it. */
    GgufWriter alignment(int value) {
        alignment = value;
        return put("general.alignment", u32(value));
    }

    GgufWriter put(String key, Value value) {
        return put(key.getBytes(StandardCharsets.UTF_8), value);
    }

    GgufWriter put(byte[] key, Value value) {
        entries.add(new Entry(key, value));
        return this;
    }

    /** A tensor placed after the previous one at the next aligned offset. */
    GgufWriter tensor(String name, GgmlType type, long[] ne, byte[] data) {
        return tensor(name.getBytes(StandardCharsets.UTF_8), type.id(), ne, NEXT, data);
    }

    /** A tensor with everything given as written; {@code offset} {@link #NEXT} places it after the previous one. */
    GgufWriter tensor(byte[] name, int typeId, long[] ne, long offset, byte[] data) {
        tensors.add(new Tensor(name, ne, typeId, offset, data));
        return this;
    }

    byte[] bytes() {
        var out = new Out();
        out.raw(magic);
        out.u32(version);
        out.u64(tensorCount != null ? tensorCount : tensors.size());
        out.u64(kvCount != null ? kvCount : entries.size());
        for (Entry entry : entries) {
            out.u64(entry.key.length);
            out.raw(entry.key);
            out.u32(entry.value.type);
            out.payload(entry.value.type, entry.value.payload);
        }
        long next = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Tensor tensor = tensors.get(i);
            offsets[i] = tensor.offset != NEXT ? tensor.offset : next;
            next = align(offsets[i] + tensor.data.length);
            out.u64(tensor.name.length);
            out.raw(tensor.name);
            out.u32(tensor.ne.length);
            for (long n : tensor.ne) {
                out.u64(n);
            }
            out.u32(tensor.typeId);
            out.u64(offsets[i]);
        }
        if (tensors.isEmpty()) {
            return out.toByteArray();
        }
        out.zeros(align(out.size()) - out.size());
        long dataEnd = 0;
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i).data.length > 0) {
                dataEnd = Math.max(dataEnd, offsets[i] + tensors.get(i).data.length);
            }
        }
        byte[] data = new byte[Math.toIntExact(dataEnd)];
        for (int i = 0; i < tensors.size(); i++) {
            byte[] bytes = tensors.get(i).data;
            if (bytes.length > 0) {
                System.arraycopy(bytes, 0, data, (int) offsets[i], bytes.length);
            }
        }
        out.raw(data);
        return out.toByteArray();
    }

    private long align(long position) {
        return (position + alignment - 1) / alignment * alignment;
    }

    private static final class Out extends ByteArrayOutputStream {
        void raw(byte[] bytes) {
            write(bytes, 0, bytes.length);
        }

        void zeros(long n) {
            raw(new byte[(int) n]);
        }

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

        void payload(int type, Object payload) {
            switch (type) {
                case U8, I8 -> le((Long) payload, 1);
                case U16, I16 -> le((Long) payload, 2);
                case U32, I32 -> le((Long) payload, 4);
                case U64, I64 -> le((Long) payload, 8);
                case F32 -> le(Float.floatToRawIntBits((Float) payload), 4);
                case F64 -> le(Double.doubleToRawLongBits((Double) payload), 8);
                case BOOL -> le((Boolean) payload ? 1 : 0, 1);
                case STRING -> {
                    byte[] bytes = payload instanceof byte[] raw ? raw : ((String) payload).getBytes(StandardCharsets.UTF_8);
                    u64(bytes.length);
                    raw(bytes);
                }
                case ARRAY -> {
                    Array array = (Array) payload;
                    u32(array.elementType);
                    u64(array.items.size());
                    for (Object item : array.items) {
                        payload(array.elementType, item);
                    }
                }
                default -> { } // an unknown type id: nothing a reader could know how to skip
            }
        }
    }
}
