package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            float dmin = half(at + 2);
            for (int chunk = 0; chunk < 4; chunk++) {
                float d1 = d * scale(data(), at + 4, 2 * chunk);
                float m1 = dmin * min(data(), at + 4, 2 * chunk);
                float d2 = d * scale(data(), at + 4, 2 * chunk + 1);
                float m2 = dmin * min(data(), at + 4, 2 * chunk + 1);
                int first = c + 2 * SUB * chunk;
                for (int l = 0; l < SUB; l++) {
                    int q = data().get(ValueLayout.JAVA_BYTE, at + 16 + SUB * chunk + l) & 0xFF;
                    into[first + l] = d1 * (q & 0xF) - m1;
                    into[first + SUB + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    /** Each sub-block's {@code dmin * min} multiplies the sum of its 32 values of x. */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        MemorySegment data = data();
        float[] xSums = runSums(x, cols, SUB);
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc = FloatVector.zero(F);
            float mins = 0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                float d = half(at);
                float dmin = half(at + 2);
                for (int chunk = 0; chunk < 4; chunk++) {
                    int first = c + 2 * SUB * chunk;
                    FloatVector low = FloatVector.zero(F);
                    FloatVector high = low;
                    for (int g = 0; g < SUB; g += L) {
                        ByteVector qs = bytes(at + 16 + SUB * chunk + g);
                        low = floats(qs.and((byte) 0xF)).fma(FloatVector.fromArray(F, x, first + g), low);
                        high = floats(qs.lanewise(VectorOperators.LSHR, 4))
                                .fma(FloatVector.fromArray(F, x, first + SUB + g), high);
                    }
                    acc = low.fma(FloatVector.broadcast(F, d * scale(data, at + 4, 2 * chunk)), acc);
                    acc = high.fma(FloatVector.broadcast(F, d * scale(data, at + 4, 2 * chunk + 1)), acc);
                    int sub = first / SUB;
                    mins += dmin * (min(data, at + 4, 2 * chunk) * xSums[sub]
                            + min(data, at + 4, 2 * chunk + 1) * xSums[sub + 1]);
                }
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD) - mins;
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
