package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    /**
     * Sixteen values are read as eight ints: the even value of int i is {@code i << 16} and the
     * odd one {@code i & 0xffff0000}, no widening shuffle, met by x's even and odd values,
     * separated once per call. Two accumulators per parity keep the FMAs' chains short.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        MemorySegment data = data();
        int cols = cols();
        int runs = cols - cols % 32;
        float[] xs = new float[runs];
        for (int c = 0; c < runs; c += 16) {
            for (int i = 0; i < 8; i++) {
                xs[c + i] = x[c + 2 * i];
                xs[c + 8 + i] = x[c + 2 * i + 1];
            }
        }
        for (int r = from; r < to; r++) {
            long row = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F8);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < runs; c += 32) {
                IntVector p = IntVector.fromMemorySegment(I8, data, row + 2L * c, ORDER);
                IntVector q = IntVector.fromMemorySegment(I8, data, row + 2L * c + 32, ORDER);
                a0 = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F8, xs, c), a0);
                a1 = p.and(0xffff0000).reinterpretAsFloats().fma(FloatVector.fromArray(F8, xs, c + 8), a1);
                a2 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F8, xs, c + 16), a2);
                a3 = q.and(0xffff0000).reinterpretAsFloats().fma(FloatVector.fromArray(F8, xs, c + 24), a3);
            }
            float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            for (int c = runs; c < cols; c++) {
                sum += value(row + 2L * c) * x[c];
            }
            y[yOffset + r - from] = sum;
        }
    }

    private float value(long at) {
        return Float.intBitsToFloat(data().get(SHORT, at) << 16);
    }
}
