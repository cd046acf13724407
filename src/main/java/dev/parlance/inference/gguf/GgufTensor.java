package dev.parlance.inference.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a GGUF file, as its tensor-info entry describes it. {@link GgufFile#data} gives
 * its bytes.
 *
 * @param name the tensor's name, such as {@code blk.0.attn_q.weight}
 * @param type how its values are stored
 * @param ne its extent in each dimension, {@code ne[0]} the fastest-varying (a matrix of HF shape
 *     [out, in] has {@code ne = [in, out]}); copied in and out, so never shared
 * @param offset where its bytes start, relative to the start of the file's tensor data
 * @param byteSize how many bytes it takes
 */
public record GgufTensor(String name, GgmlType type, long[] ne, long offset, long byteSize) {
    public GgufTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        ne = ne.clone();
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    /** The number of values: the product of {@link #ne}. */
    public long elements() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }

    /** The number of rows: the product of {@code ne[1..]}. */
    public int rows() {
        return checkedInt(elements() / ne[0], "rows");
    }

    /** The length of a row: {@code ne[0]}. */
    public int cols() {
        return checkedInt(ne[0], "columns");
    }

    private int checkedInt(long value, String what) {
        if (value > Integer.MAX_VALUE) {
            throw new ArithmeticException("tensor " + name + " has " + value + " " + what
                    + ", more than an int can count");
        }
        return (int) value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GgufTensor that && name.equals(that.name) && type == that.type
                && Arrays.equals(ne, that.ne) && offset == that.offset && byteSize == that.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(ne), offset, byteSize);
    }

    @Override
    public String toString() {
        return "GgufTensor[" + name + ", " + type + ", ne=" + Arrays.toString(ne) + ", offset=" + offset
                + ", byteSize=" + byteSize + "]";
    }
}
