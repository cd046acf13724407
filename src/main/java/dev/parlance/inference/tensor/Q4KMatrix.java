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
     * Each sub-block's {@code dmin * min} multiplies the sum of its 32 values of x. A chunk's 32
     * bytes are read as eight ints; the value from nibble n (n < 8, low nibbles even) of int i is
     * {@code (q >>> 4n) & 0xF}, shifted in place, no byte lanes or widening shuffles; it meets
     * {@code x[4i + n / 2]} of the low or high sub-block, so x is reordered once per call
     * ({@link WeightMatrix#interleave}). A block's scales and mins are decoded once, from one
     * long and one int, and everything stays in this method: a vector passed to or returned from
     * a method HotSpot does not inline is boxed.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        MemorySegment data = data();
        float[] xs = interleave(x, cols);
        float[] xSums = runSums(x, cols, SUB);
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc0 = FloatVector.zero(F8);
            FloatVector acc1 = acc0;
            float offsets = 0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                long low = data.get(LONG, at + 4);
                int high = data.get(INT, at + 12);
                long scales = packedScales(low, high);
                long mins = packedMins(low, high);
                float d = half(at);
                float dmin = half(at + 2);
                int sub = c / SUB;
                float blockMins = 0;
                for (int chunk = 0; chunk < 4; chunk++) {
                    int first = c + 2 * SUB * chunk;
                    IntVector q = IntVector.fromMemorySegment(I8, data, at + 16 + SUB * chunk, ORDER);
                    FloatVector low0 = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first));
                    FloatVector high0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(0xF)
                            .convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first + SUB));
                    FloatVector low1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(0xF)
                            .convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first + 8));
                    FloatVector high1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 12).and(0xF)
                            .convert(VectorOperators.I2F, 0))
                            .mul(FloatVector.fromArray(F8, xs, first + SUB + 8));
                    low0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(0xF).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + 16), low0);
                    high0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(0xF)
                            .convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + SUB + 16), high0);
                    low1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 24).and(0xF).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + 24), low1);
                    high1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F8, xs, first + SUB + 24), high1);
                    int shift = 16 * chunk;
                    acc0 = low0.add(low1).fma(FloatVector.broadcast(F8, d * (int) (scales >>> shift & 0xFF)), acc0);
                    acc1 = high0.add(high1)
                            .fma(FloatVector.broadcast(F8, d * (int) (scales >>> (shift + 8) & 0xFF)), acc1);
                    blockMins += (int) (mins >>> shift & 0xFF) * xSums[sub + 2 * chunk]
                            + (int) (mins >>> (shift + 8) & 0xFF) * xSums[sub + 2 * chunk + 1];
                }
                offsets += dmin * blockMins;
            }
            y[yOffset + r - from] = acc0.add(acc1).reduceLanes(VectorOperators.ADD) - offsets;
        }
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
