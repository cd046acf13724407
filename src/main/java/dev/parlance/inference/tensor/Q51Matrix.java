package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q5_1}, 24 bytes per 32 values: {@code d}, {@code m} (fp16), {@code uint8
 * qh[4]}, {@code uint8 qs[16]}, the five-bit values laid out as in Q5_0; {@code y = q * d + m}.
 */
final class Q51Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BYTES = 24;

    Q51Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_1, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            float m = half(at + 2);
            int qh = data().get(INT, at + 4);
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = data().get(ValueLayout.JAVA_BYTE, at + 8 + j) & 0xFF;
                into[c + j] = ((q & 0xF) | ((qh >>> j) << 4 & 0x10)) * d + m;
                into[c + j + BLOCK / 2] = ((q >> 4) | ((qh >>> (j + 12)) & 0x10)) * d + m;
            }
        }
    }

    /** Each block's {@code m} multiplies the sum of its 32 values of x. */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        float[] xSums = runSums(x, cols, BLOCK);
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc = FloatVector.zero(F);
            float offsets = 0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                int qh = data().get(INT, at + 4);
                FloatVector sum = FloatVector.zero(F);
                for (int g = 0; g < BLOCK / 2; g += L) {
                    ByteVector qs = bytes(at + 8 + g);
                    sum = Q50Matrix.fiveBits(qs.and((byte) 0xF), qh >>> g)
                            .fma(FloatVector.fromArray(F, x, c + g), sum);
                    sum = Q50Matrix.fiveBits(qs.lanewise(VectorOperators.LSHR, 4), qh >>> (BLOCK / 2 + g))
                            .fma(FloatVector.fromArray(F, x, c + BLOCK / 2 + g), sum);
                }
                acc = sum.fma(FloatVector.broadcast(F, half(at)), acc);
                offsets += half(at + 2) * xSums[c / BLOCK];
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD) + offsets;
        }
    }
}
