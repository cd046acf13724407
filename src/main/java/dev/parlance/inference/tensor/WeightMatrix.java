package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A {@code rows x cols} weight matrix stored row after row in one of ggml's storage formats
 * ({@link GgmlType}), little-endian, read in place from a {@link MemorySegment} (typically a
 * memory-mapped GGUF file): each row is {@code cols / type.blockSize()} blocks laid out as ggml's
 * {@code ggml-common.h} defines them. One subclass per format; the forward pass sees only this
 * class.
 *
 * <p>The products ({@link #multiplyRows}) read the blocks in place with the Vector API, a block at
 * a time, and compute in float32 with the activations as they are (llama.cpp instead quantizes
 * the activations to 8 bits first). Their vectors have the machine's preferred width when that
 * holds at least eight floats (AVX2, AVX-512); on narrower machines (NEON) they use eight-float
 * vectors, which are correct but not native there.
 */
public abstract sealed class WeightMatrix
        permits F32Matrix, F16Matrix, BF16Matrix, Q80Matrix, Q40Matrix, Q41Matrix, Q50Matrix, Q51Matrix, Q4KMatrix,
        Q5KMatrix, Q6KMatrix {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 8
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    /** Floats per vector. */
    static final int L = F.length();
    /** {@link #L} bytes, one per float lane. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE));
    /** {@link #L} shorts, one per float lane. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    /** {@link #L} ints, one per float lane. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Eight floats, for the kernels that read 32 quants as eight ints ({@link #interleave}). */
    static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /** Eight bytes. */
    static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    /** Eight ints. */
    static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorMask<Integer> HIGH_HALF = VectorMask.fromLong(I8, 0xF0);
    private static final IntVector BYTE_SHIFTS = IntVector.fromArray(I8, new int[] {0, 8, 16, 24, 0, 8, 16, 24}, 0);
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ORDER);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ORDER);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ORDER);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ORDER);

    private final GgmlType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    /** Bytes per row. */
    final long rowBytes;

    WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("a matrix of " + rows + " x " + cols);
        }
        this.rowBytes = type.bytesFor(cols);
        if (data.byteSize() < rows * rowBytes) {
            throw new IllegalArgumentException(rows + " x " + cols + " " + type + " weights take " + rows * rowBytes
                    + " bytes, more than the " + data.byteSize() + " given");
        }
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    /**
     * The {@code rows x cols} matrix stored row after row in {@code type} in {@code data}, which
     * is read, never written, and must stay valid as long as the matrix is used.
     *
     * @throws IllegalArgumentException when {@code cols} is not a multiple of the type's block
     *     size, or {@code data} is shorter than {@code rows * type.bytesFor(cols)}
     * @throws UnsupportedOperationException when the engine does not compute with {@code type}
     *     ({@link GgmlType#isComputable()} is false)
     */
    public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        Objects.requireNonNull(data, "data");
        return switch (type) {
            case F32 -> new F32Matrix(data, rows, cols);
            case F16 -> new F16Matrix(data, rows, cols);
            case BF16 -> new BF16Matrix(data, rows, cols);
            case Q8_0 -> new Q80Matrix(data, rows, cols);
            case Q4_0 -> new Q40Matrix(data, rows, cols);
            case Q4_1 -> new Q41Matrix(data, rows, cols);
            case Q5_0 -> new Q50Matrix(data, rows, cols);
            case Q5_1 -> new Q51Matrix(data, rows, cols);
            case Q4_K -> new Q4KMatrix(data, rows, cols);
            case Q5_K -> new Q5KMatrix(data, rows, cols);
            case Q6_K -> new Q6KMatrix(data, rows, cols);
            default -> throw new UnsupportedOperationException("weights of type " + type + " are not supported");
        };
    }

    public final GgmlType type() {
        return type;
    }

    public final MemorySegment data() {
        return data;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    /**
     * Writes row {@code row}, dequantized exactly as ggml's {@code dequantize_row_*} does, to
     * {@code into[offset .. offset + cols - 1]}; nothing else of {@code into} changes.
     */
    public final void dequantizeRow(int row, float[] into, int offset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(offset, cols, into.length);
        dequantize(row * rowBytes, into, offset);
    }

    /**
     * {@code y[yOffset + r - from] = (row r) · x[0 .. cols - 1]} for rows {@code from .. to - 1},
     * on the calling thread; {@code x} is only read.
     */
    public final void multiplyRows(float[] x, int from, int to, float[] y, int yOffset) {
        Objects.checkFromToIndex(from, to, rows);
        Objects.checkFromIndexSize(0, cols, x.length);
        Objects.checkFromIndexSize(yOffset, to - from, y.length);
        multiply(x, from, to, y, yOffset);
    }

    /** {@link #dequantizeRow} of the row at byte {@code at}, the arguments checked. */
    abstract void dequantize(long at, float[] into, int offset);

    /** {@link #multiplyRows}, the arguments checked. */
    abstract void multiply(float[] x, int from, int to, float[] y, int yOffset);

    /** The IEEE half at byte {@code at}. */
    final float half(long at) {
        return Float.float16ToFloat(data.get(SHORT, at));
    }

    /** The signed bytes as floats. */
    static FloatVector floats(ByteVector bytes) {
        return (FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0);
    }

    /** {@link #L} bytes from byte {@code at}. */
    final ByteVector bytes(long at) {
        return ByteVector.fromMemorySegment(B, data, at, ORDER);
    }

    /** The sums of {@code x}'s consecutive runs of {@code size} values, for the formats with an offset. */
    static float[] runSums(float[] x, int cols, int size) {
        float[] sums = new float[cols / size];
        for (int run = 0; run < sums.length; run++) {
            FloatVector sum = FloatVector.zero(F);
            for (int c = run * size; c < (run + 1) * size; c += L) {
                sum = sum.add(FloatVector.fromArray(F, x, c));
            }
            sums[run] = sum.reduceLanes(VectorOperators.ADD);
        }
        return sums;
    }

    /**
     * {@code x} reordered for kernels that read 32 quants as eight ints: in each run of 32 values,
     * {@code x[4i + k]} (i < 8, k < 4) moves to {@code 8k + i}, beside the values that byte k of
     * the eight ints meets.
     */
    static float[] interleave(float[] x, int cols) {
        float[] xs = new float[cols];
        for (int c = 0; c < cols; c += 32) {
            for (int i = 0; i < 8; i++) {
                for (int k = 0; k < 4; k++) {
                    xs[c + 8 * k + i] = x[c + 4 * i + k];
                }
            }
        }
        return xs;
    }

    /** The top bytes of the ints, sign-extended, as floats. */
    static FloatVector signedTopBytes(IntVector ints) {
        return (FloatVector) ints.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
    }

    /** The eight bytes of {@code packed}, little-endian, as floats (unsigned). */
    static FloatVector byteFloats(long packed) {
        IntVector halves = IntVector.broadcast(I8, (int) packed).blend((int) (packed >>> 32), HIGH_HALF);
        return (FloatVector) halves.lanewise(VectorOperators.LSHR, BYTE_SHIFTS).and(0xFF)
                .convert(VectorOperators.I2F, 0);
    }

    /** The ints as floats. */
    static FloatVector floats(IntVector ints) {
        return (FloatVector) ints.convert(VectorOperators.I2F, 0);
    }
}
