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
     * separated once per call. As for F32, the rows go in four streams at once, the four quarters
     * of the range: one core keeps more reads in flight than with one stream.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        MemorySegment data = data();
        int cols = cols();
        int runs = cols - cols % 16;
        float[] xs = new float[runs];
        for (int c = 0; c < runs; c += 16) {
            for (int i = 0; i < 8; i++) {
                xs[c + i] = x[c + 2 * i];
                xs[c + 8 + i] = x[c + 2 * i + 1];
            }
        }
        int quarter = (to - from) / 4;
        long stride = quarter * rowBytes;
        for (int i = 0; i < quarter; i++) {
            long row0 = (from + i) * rowBytes;
            FloatVector even0 = FloatVector.zero(F8);
            FloatVector odd0 = even0;
            FloatVector even1 = even0;
            FloatVector odd1 = even0;
            FloatVector even2 = even0;
            FloatVector odd2 = even0;
            FloatVector even3 = even0;
            FloatVector odd3 = even0;
            for (int c = 0; c < runs; c += 16) {
                FloatVector xEven = FloatVector.fromArray(F8, xs, c);
                FloatVector xOdd = FloatVector.fromArray(F8, xs, c + 8);
                long at = row0 + 2L * c;
                IntVector p0 = IntVector.fromMemorySegment(I8, data, at, ORDER);
                IntVector p1 = IntVector.fromMemorySegment(I8, data, at + stride, ORDER);
                IntVector p2 = IntVector.fromMemorySegment(I8, data, at + 2 * stride, ORDER);
                IntVector p3 = IntVector.fromMemorySegment(I8, data, at + 3 * stride, ORDER);
                even0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xEven, even0);
                odd0 = p0.and(0xffff0000).reinterpretAsFloats().fma(xOdd, odd0);
                even1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xEven, even1);
                odd1 = p1.and(0xffff0000).reinterpretAsFloats().fma(xOdd, odd1);
                even2 = p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xEven, even2);
                odd2 = p2.and(0xffff0000).reinterpretAsFloats().fma(xOdd, odd2);
                even3 = p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xEven, even3);
                odd3 = p3.and(0xffff0000).reinterpretAsFloats().fma(xOdd, odd3);
            }
            int out = yOffset + i;
            y[out] = even0.add(odd0).reduceLanes(VectorOperators.ADD) + tail(row0, x, runs);
            y[out + quarter] = even1.add(odd1).reduceLanes(VectorOperators.ADD) + tail(row0 + stride, x, runs);
            y[out + 2 * quarter] = even2.add(odd2).reduceLanes(VectorOperators.ADD)
                    + tail(row0 + 2 * stride, x, runs);
            y[out + 3 * quarter] = even3.add(odd3).reduceLanes(VectorOperators.ADD)
                    + tail(row0 + 3 * stride, x, runs);
        }
        for (int r = from + 4 * quarter; r < to; r++) {
            long row = r * rowBytes;
            FloatVector even = FloatVector.zero(F8);
            FloatVector odd = even;
            for (int c = 0; c < runs; c += 16) {
                IntVector p = IntVector.fromMemorySegment(I8, data, row + 2L * c, ORDER);
                even = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F8, xs, c), even);
                odd = p.and(0xffff0000).reinterpretAsFloats().fma(FloatVector.fromArray(F8, xs, c + 8), odd);
            }
            y[yOffset + r - from] = even.add(odd).reduceLanes(VectorOperators.ADD) + tail(row, x, runs);
        }
    }

    /** The products of the row's values from {@code from} on, which fill no whole vector. */
    private float tail(long row, float[] x, int from) {
        float sum = 0;
        for (int c = from; c < cols(); c++) {
            sum += value(row + 2L * c) * x[c];
        }
        return sum;
    }

    private float value(long at) {
        return Float.intBitsToFloat(data().get(SHORT, at) << 16);
    }
}
