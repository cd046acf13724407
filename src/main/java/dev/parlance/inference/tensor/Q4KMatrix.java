package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q4_K}, 144 bytes per 256 values: {@code d}, {@code dmin} (fp16),
 * {@code uint8 scales[12]} (eight 6-bit scales and eight 6-bit mins, {@link #scale} and
 * {@link #min}), {@code uint8 qs[128]}. Sub-block j of 32 values is
 * {@code y = d * scale(j) * q - dmin * min(j)}; the 64 values {@code 64c ..} take their four bits
 * from {@code qs[32c .. 32c + 31]}, the low nibbles first, then the high ones.
 */
final class Q4KMatrix extends WeightMatrix {
    private static final int BLOCK = 256;
    private static final int BYTES = 144;
    private static final int SUB = 32;

    Q4KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_K, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        MemorySegment data = data();
        int[] scales = new int[8];
        int[] mins = new int[8];
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            float dmin = half(at + 2);
            decode(data.get(LONG, at + 4), data.get(INT, at + 12), scales, mins);
            for (int chunk = 0; chunk < 4; chunk++) {
                float d1 = d * scales[2 * chunk];
                float m1 = dmin * mins[2 * chunk];
                float d2 = d * scales[2 * chunk + 1];
                float m2 = dmin * mins[2 * chunk + 1];
                int first = c + 2 * SUB * chunk;
                for (int g = 0; g < SUB; g += 8) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, at + 16 + SUB * chunk + g, ORDER)
                            .convertShape(VectorOperators.B2I, I8, 0);
                    ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1)
                            .intoArray(into, first + g);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0))
                            .mul(d2).sub(m2).intoArray(into, first + SUB + g);
                }
            }
        }
    }

    /**
     * A chunk's 32 bytes are read as eight ints; nibble n (n < 8, low nibbles even) of int i
     * holds the value for {@code x[4i + n / 2]} of the chunk's low or high sub-block. It is
     * taken in place, {@code q & (0xF << 4n)}, without shifting it down: as a float that is the
     * value times {@code 16^n}, exactly, and x was reordered and scaled by {@code 16^-n} once per
     * call ({@link #nibbleWeighted}), so each product is the one of the plain value, to the bit.
     * The top nibble is shifted down instead (as a signed int it would be negative). A block's
     * eight scales and mins are widened to float vectors at once: the scales go through a small
     * array, from which each sub-block's is broadcast by one load (a lane taken at a loop index is
     * not compiled to an instruction), and the mins meet the sums of x's sub-blocks in one
     * product. The chunks stay a loop and everything stays in this method: unrolled, the Vector
     * API's inlined calls pass HotSpot's node budget, and a vector passed to or returned from a
     * method it does not inline is boxed.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        MemorySegment data = data();
        float[] xs = nibbleWeighted(x, cols);
        float[] xSums = runSums(x, cols, SUB);
        float[] blockScales = new float[8];
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc0 = FloatVector.zero(F8);
            FloatVector acc1 = acc0;
            FloatVector offsets = acc0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                long low = data.get(LONG, at + 4);
                int high = data.get(INT, at + 12);
                FloatVector scales = byteFloats(packedScales(low, high)).mul(half(at));
                offsets = byteFloats(packedMins(low, high)).mul(FloatVector.fromArray(F8, xSums, c / SUB))
                        .fma(FloatVector.broadcast(F8, half(at + 2)), offsets);
                scales.intoArray(blockScales, 0);
                for (int chunk = 0; chunk < 4; chunk++) {
                    int first = c + 2 * SUB * chunk;
                    IntVector q = IntVector.fromMemorySegment(I8, data, at + 16 + SUB * chunk, ORDER);
                    FloatVector low0 = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first));
                    FloatVector high0 = ((FloatVector) q.and(0xF0).convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first + SUB));
                    FloatVector low1 = ((FloatVector) q.and(0xF00).convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first + 8));
                    FloatVector high1 = ((FloatVector) q.and(0xF000).convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first + SUB + 8));
                    low0 = ((FloatVector) q.and(0xF0000).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + 16), low0);
                    high0 = ((FloatVector) q.and(0xF00000).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + SUB + 16), high0);
                    low1 = ((FloatVector) q.and(0xF000000).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + 24), low1);
                    high1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + SUB + 24), high1);
                    acc0 = low0.add(low1).fma(FloatVector.broadcast(F8, blockScales[2 * chunk]), acc0);
                    acc1 = high0.add(high1).fma(FloatVector.broadcast(F8, blockScales[2 * chunk + 1]), acc1);
                }
            }
            y[yOffset + r - from] = acc0.add(acc1).sub(offsets).reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * {@link WeightMatrix#interleave}d x, each value divided by the {@code 16^n} of the nibble n
     * that meets it in {@link #multiply}: in each run of 64, the low sub-block's byte k by
     * {@code 2^-8k}, the high one's by {@code 2^-(8k+4)}, but not the last byte of the high one.
     */
    static float[] nibbleWeighted(float[] x, int cols) {
        float[] xs = interleave(x, cols);
        for (int c = 0; c < cols; c += 2 * SUB) {
            for (int k = 0; k < 4; k++) {
                float lowScale = Math.scalb(1f, -8 * k);
                float highScale = k == 3 ? 1f : Math.scalb(1f, -8 * k - 4);
                for (int i = 0; i < 8; i++) {
                    xs[c + 8 * k + i] *= lowScale;
                    xs[c + SUB + 8 * k + i] *= highScale;
                }
            }
        }
        return xs;
    }

    /**
     * The eight 6-bit scales of ggml's {@code get_scale_min_k4}, one per byte, from the 12 scale
     * bytes: {@code low} holds bytes 0 to 7 and {@code high} bytes 8 to 11, little-endian.
     * Scale j < 4 is the low six bits of byte j; scale j + 4 is the low nibble of byte j + 8
     * with the top two bits of byte j above it. All four at once in one int: bits 6 and 7 of
     * each byte, shifted right by two, land on its bits 4 and 5.
     */
    static long packedScales(long low, int high) {
        int first = (int) low;
        return (first & 0x3F3F3F3FL) | (long) ((high & 0x0F0F0F0F) | ((first >>> 2) & 0x30303030)) << 32;
    }

    /** The eight 6-bit mins, one per byte: as {@link #packedScales}, from bytes 4 to 7 and the high nibbles. */
    static long packedMins(long low, int high) {
        int second = (int) (low >>> 32);
        return (second & 0x3F3F3F3FL) | (long) (((high >>> 4) & 0x0F0F0F0F) | ((second >>> 2) & 0x30303030)) << 32;
    }

    /**
     * The eight 6-bit scales and mins of ggml's {@code get_scale_min_k4} from the 12 scale bytes,
     * {@code low} bytes 0 to 7 and {@code high} bytes 8 to 11, little-endian, into the arrays.
     */
    static void decode(long low, int high, int[] scales, int[] mins) {
        for (int j = 0; j < 4; j++) {
            int a = (int) (low >>> (8 * j)) & 0xFF;
            int b = (int) (low >>> (8 * j + 32)) & 0xFF;
            int e = (high >>> (8 * j)) & 0xFF;
            scales[j] = a & 63;
            mins[j] = b & 63;
            scales[j + 4] = (e & 0xF) | ((a >> 6) << 4);
            mins[j + 4] = (e >> 4) | ((b >> 6) << 4);
        }
    }

    /** The 6-bit scale of sub-block {@code j} in the 12 bytes at {@code scales} (ggml's {@code get_scale_min_k4}). */
    static int scale(MemorySegment data, long scales, int j) {
        return j < 4
                ? unsigned(data, scales + j) & 63
                : (unsigned(data, scales + j + 4) & 0xF) | ((unsigned(data, scales + j - 4) >> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j} in the 12 bytes at {@code scales}. */
    static int min(MemorySegment data, long scales, int j) {
        return j < 4
                ? unsigned(data, scales + j + 4) & 63
                : (unsigned(data, scales + j + 4) >> 4) | ((unsigned(data, scales + j) >> 6) << 4);
    }

    private static int unsigned(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}
