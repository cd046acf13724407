package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q4_0}, 18 bytes per 32 values: {@code d} (fp16), {@code uint8 qs[16]}; for
 * j < 16, {@code y[j] = d * ((qs[j] & 0xF) - 8)} and {@code y[j + 16] = d * ((qs[j] >> 4) - 8)}.
 */
final class Q40Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BYTES = 18;

    Q40Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_0, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = data().get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xFF;
                into[c + j] = d * ((q & 0xF) - 8);
                into[c + j + BLOCK / 2] = d * ((q >> 4) - 8);
            }
        }
    }

    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc = FloatVector.zero(F);
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                FloatVector sum = FloatVector.zero(F);
                for (int g = 0; g < BLOCK / 2; g += L) {
                    ByteVector qs = bytes(at + 2 + g);
                    sum = floats(qs.and((byte) 0xF).sub((byte) 8)).fma(FloatVector.fromArray(F, x, c + g), sum);
                    sum = floats(qs.lanewise(VectorOperators.LSHR, 4).sub((byte) 8))
                            .fma(FloatVector.fromArray(F, x, c + BLOCK / 2 + g), sum);
                }
                acc = sum.fma(FloatVector.broadcast(F, half(at)), acc);
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
