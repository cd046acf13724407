package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q4_1}, 20 bytes per 32 values: {@code d}, {@code m} (fp16),
 * {@code uint8 qs[16]}; for j < 16, {@code y[j] = (qs[j] & 0xF) * d + m} and
 * {@code y[j + 16] = (qs[j] >> 4) * d + m}.
 */
final class Q41Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BYTES = 20;

    Q41Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            float m = half(at + 2);
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = data().get(ValueLayout.JAVA_BYTE, at + 4 + j) & 0xFF;
                into[c + j] = (q & 0xF) * d + m;
                into[c + j + BLOCK / 2] = (q >> 4) * d + m;
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
                FloatVector sum = FloatVector.zero(F);
                for (int g = 0; g < BLOCK / 2; g += L) {
                    ByteVector qs = bytes(at + 4 + g);
                    sum = floats(qs.and((byte) 0xF)).fma(FloatVector.fromArray(F, x, c + g), sum);
                    sum = floats(qs.lanewise(VectorOperators.LSHR, 4))
                            .fma(FloatVector.fromArray(F, x, c + BLOCK / 2 + g), sum);
                }
                acc = sum.fma(FloatVector.broadcast(F, half(at)), acc);
                offsets += half(at + 2) * xSums[c / BLOCK];
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD) + offsets;
        }
    }
}
