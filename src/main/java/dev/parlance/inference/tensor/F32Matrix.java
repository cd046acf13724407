package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Float32 weights. */
final class F32Matrix extends WeightMatrix {
    F32Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F32, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        MemorySegment.copy(data(), FLOAT, at, into, offset, cols());
    }

    /**
     * The rows go in four streams at once, the four quarters of the range, a row of each per
     * step: one core keeps more reads in flight than with one stream.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        MemorySegment data = data();
        int cols = cols();
        int vectors = cols - cols % L;
        int quarter = (to - from) / 4;
        long stride = quarter * rowBytes;
        for (int i = 0; i < quarter; i++) {
            long row0 = (from + i) * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < vectors; c += L) {
                FloatVector xc = FloatVector.fromArray(F, x, c);
                long at = row0 + (long) c * Float.BYTES;
                a0 = FloatVector.fromMemorySegment(F, data, at, ORDER).fma(xc, a0);
                a1 = FloatVector.fromMemorySegment(F, data, at + stride, ORDER).fma(xc, a1);
                a2 = FloatVector.fromMemorySegment(F, data, at + 2 * stride, ORDER).fma(xc, a2);
                a3 = FloatVector.fromMemorySegment(F, data, at + 3 * stride, ORDER).fma(xc, a3);
            }
            int out = yOffset + i;
            y[out] = a0.reduceLanes(VectorOperators.ADD) + tail(row0, x, vectors);
            y[out + quarter] = a1.reduceLanes(VectorOperators.ADD) + tail(row0 + stride, x, vectors);
            y[out + 2 * quarter] = a2.reduceLanes(VectorOperators.ADD) + tail(row0 + 2 * stride, x, vectors);
            y[out + 3 * quarter] = a3.reduceLanes(VectorOperators.ADD) + tail(row0 + 3 * stride, x, vectors);
        }
        for (int r = from + 4 * quarter; r < to; r++) {
            long row = r * rowBytes;
            FloatVector a = FloatVector.zero(F);
            for (int c = 0; c < vectors; c += L) {
                a = FloatVector.fromMemorySegment(F, data, row + (long) c * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(F, x, c), a);
            }
            y[yOffset + r - from] = a.reduceLanes(VectorOperators.ADD) + tail(row, x, vectors);
        }
    }

    /** The products of the row's values from {@code from} on, which fill no whole vector. */
    private float tail(long row, float[] x, int from) {
        float sum = 0;
        for (int c = from; c < cols(); c++) {
            sum += data().get(FLOAT, row + (long) c * Float.BYTES) * x[c];
        }
        return sum;
    }
}
