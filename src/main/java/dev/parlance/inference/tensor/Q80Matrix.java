package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** ggml's {@code block_q8_0}, 34 bytes per 32 values: {@code d} (fp16), {@code int8 qs[32]}; {@code y = d * q}. */
final class Q80Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BYTES = 34;

    Q80Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q8_0, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = 0; c < cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            for (int i = 0; i < BLOCK; i++) {
                into[offset + c + i] = data().get(ValueLayout.JAVA_BYTE, at + 2 + i) * d;
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
                for (int g = 0; g < BLOCK; g += L) {
                    sum = floats(bytes(at + 2 + g)).fma(FloatVector.fromArray(F, x, c + g), sum);
                }
                acc = sum.fma(FloatVector.broadcast(F, half(at)), acc);
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
