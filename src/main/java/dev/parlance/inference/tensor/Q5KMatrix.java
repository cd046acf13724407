package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q5_K}, 176 bytes per 256 values: {@code d}, {@code dmin} (fp16),
 * {@code uint8 scales[12]} (as Q4_K's), {@code uint8 qh[32]}, {@code uint8 qs[128]}. The four low
 * bits are laid out as in Q4_K; the fifth bit of value {@code 32j + l} is bit j of {@code qh[l]}.
 */
final class Q5KMatrix extends WeightMatrix {
    private static final int BLOCK = 256;
    private static final int BYTES = 176;
    private static final int SUB = 32;

    Q5KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_K, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        MemorySegment data = data();
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            float dmin = half(at + 2);
            for (int chunk = 0; chunk < 4; chunk++) {
                float d1 = d * Q4KMatrix.scale(data, at + 4, 2 * chunk);
                float m1 = dmin * Q4KMatrix.min(data, at + 4, 2 * chunk);
                float d2 = d * Q4KMatrix.scale(data, at + 4, 2 * chunk + 1);
                float m2 = dmin * Q4KMatrix.min(data, at + 4, 2 * chunk + 1);
                int first = c + 2 * SUB * chunk;
                for (int l = 0; l < SUB; l++) {
                    int q = data.get(ValueLayout.JAVA_BYTE, at + 48 + SUB * chunk + l) & 0xFF;
                    int qh = data.get(ValueLayout.JAVA_BYTE, at + 16 + l) >> (2 * chunk);
                    into[first + l] = d1 * ((q & 0xF) + ((qh & 1) << 4)) - m1;
                    into[first + SUB + l] = d2 * ((q >> 4) + ((qh & 2) << 3)) - m2;
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
                        ByteVector qs = bytes(at + 48 + SUB * chunk + g);
                        ByteVector qh = bytes(at + 16 + g).lanewise(VectorOperators.LSHR, 2 * chunk);
                        ByteVector fifthLow = qh.and((byte) 1).lanewise(VectorOperators.LSHL, 4);
                        ByteVector fifthHigh = qh.and((byte) 2).lanewise(VectorOperators.LSHL, 3);
                        low = floats(qs.and((byte) 0xF).or(fifthLow)).fma(FloatVector.fromArray(F, x, first + g), low);
                        high = floats(qs.lanewise(VectorOperators.LSHR, 4).or(fifthHigh))
                                .fma(FloatVector.fromArray(F, x, first + SUB + g), high);
                    }
                    acc = low.fma(FloatVector.broadcast(F, d * Q4KMatrix.scale(data, at + 4, 2 * chunk)), acc);
                    acc = high.fma(FloatVector.broadcast(F, d * Q4KMatrix.scale(data, at + 4, 2 * chunk + 1)), acc);
                    int sub = first / SUB;
                    mins += dmin * (Q4KMatrix.min(data, at + 4, 2 * chunk) * xSums[sub]
                            + Q4KMatrix.min(data, at + 4, 2 * chunk + 1) * xSums[sub + 1]);
                }
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD) - mins;
        }
    }
}
