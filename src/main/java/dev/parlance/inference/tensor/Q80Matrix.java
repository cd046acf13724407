package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
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
        MemorySegment data = data();
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            for (int g = 0; g < BLOCK; g += 8) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, at + 2 + g, ORDER)
                        .convertShape(VectorOperators.B2I, I8, 0);
                ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(d).intoArray(into, c + g);
            }
        }
    }

    /**
     * A block's 32 quants are read as eight little-endian ints, and quant {@code 4i + k} is byte
     * k of int i, sign-extended by two shifts in place: no byte-to-int widening, which is a
     * shuffle. The products then pair lane i with {@code x[4i + k]}, so x is reordered once per
     * call to that layout ({@link WeightMatrix#interleave}). Everything stays in this method: a vector
     * passed to or returned from a method HotSpot does not inline is boxed. Two streams of rows go at
     * once, the two halves of the range: one core keeps more reads in flight than with one.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        MemorySegment data = data();
        float[] xs = interleave(x, cols);
        int half = (to - from) / 2;
        long stride = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long at = (from + i) * rowBytes;
            FloatVector acc0 = FloatVector.zero(F8);
            FloatVector acc1 = acc0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                FloatVector x0 = FloatVector.fromArray(F8, xs, c);
                FloatVector x1 = FloatVector.fromArray(F8, xs, c + 8);
                FloatVector x2 = FloatVector.fromArray(F8, xs, c + 16);
                FloatVector x3 = FloatVector.fromArray(F8, xs, c + 24);
                IntVector q = IntVector.fromMemorySegment(I8, data, at + 2, ORDER);
                IntVector p = IntVector.fromMemorySegment(I8, data, at + stride + 2, ORDER);
                FloatVector s0 = signedTopBytes(q.lanewise(VectorOperators.LSHL, 24)).mul(x0);
                FloatVector s1 = signedTopBytes(q.lanewise(VectorOperators.LSHL, 16)).mul(x1);
                FloatVector t0 = signedTopBytes(p.lanewise(VectorOperators.LSHL, 24)).mul(x0);
                FloatVector t1 = signedTopBytes(p.lanewise(VectorOperators.LSHL, 16)).mul(x1);
                s0 = signedTopBytes(q.lanewise(VectorOperators.LSHL, 8)).fma(x2, s0);
                s1 = signedTopBytes(q).fma(x3, s1);
                t0 = signedTopBytes(p.lanewise(VectorOperators.LSHL, 8)).fma(x2, t0);
                t1 = signedTopBytes(p).fma(x3, t1);
                acc0 = s0.add(s1).fma(FloatVector.broadcast(F8, half(at)), acc0);
                acc1 = t0.add(t1).fma(FloatVector.broadcast(F8, half(at + stride)), acc1);
            }
            y[yOffset + i] = acc0.reduceLanes(VectorOperators.ADD);
            y[yOffset + i + half] = acc1.reduceLanes(VectorOperators.ADD);
        }
        for (int r = from + 2 * half; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc = FloatVector.zero(F8);
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                IntVector q = IntVector.fromMemorySegment(I8, data, at + 2, ORDER);
                FloatVector s0 = signedTopBytes(q.lanewise(VectorOperators.LSHL, 24))
                        .mul(FloatVector.fromArray(F8, xs, c));
                FloatVector s1 = signedTopBytes(q.lanewise(VectorOperators.LSHL, 16))
                        .mul(FloatVector.fromArray(F8, xs, c + 8));
                s0 = signedTopBytes(q.lanewise(VectorOperators.LSHL, 8))
                        .fma(FloatVector.fromArray(F8, xs, c + 16), s0);
                s1 = signedTopBytes(q).fma(FloatVector.fromArray(F8, xs, c + 24), s1);
                acc = s0.add(s1).fma(FloatVector.broadcast(F8, half(at)), acc);
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
