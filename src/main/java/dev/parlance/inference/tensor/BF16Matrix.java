package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** Bfloat16 weights: the upper halves of float32s. */
final class BF16Matrix extends WeightMatrix {
    BF16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.BF16, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = 0; c < cols(); c++) {
            into[offset + c] = value(at + 2L * c);
        }
    }

    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        MemorySegment data = data();
        int cols = cols();
        int vectors = cols - cols % L;
        for (int r = from; r < to; r++) {
            long row = r * rowBytes;
            FloatVector a = FloatVector.zero(F);
            for (int c = 0; c < vectors; c += L) {
                IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, data, row + 2L * c, ORDER)
                        .convertShape(VectorOperators.S2I, I, 0);
                a = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, c), a);
            }
            float sum = a.reduceLanes(VectorOperators.ADD);
            for (int c = vectors; c < cols; c++) {
                sum += value(row + 2L * c) * x[c];
            }
            y[yOffset + r - from] = sum;
        }
    }

    private float value(long at) {
        return Float.intBitsToFloat(data().get(SHORT, at) << 16);
    }
}
