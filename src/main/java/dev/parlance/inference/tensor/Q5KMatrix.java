package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    /**
     * As Q4_K's: a chunk's 32 {@code qs} bytes and the 32 {@code qh} bytes are read as eight ints
     * each, and byte b of int i gives the values {@code 4i + b} of the chunk's two sub-blocks,
     * their fifth bits shifted out of {@code qh} in int lanes; x is reordered once per call
     * ({@link WeightMatrix#interleave}). Each sub-block's {@code dmin * min} multiplies the sum of
     * its 32 values of x. Everything stays in this method, the Vector API called directly: a
     * vector passed to or returned from a method HotSpot does not inline is boxed.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        MemorySegment data = data();
        float[] xs = interleave(x, cols);
        float[] xSums = runSums(x, cols, SUB);
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc0 = FloatVector.zero(F8);
            FloatVector acc1 = acc0;
            float offsets = 0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                long first8 = data.get(LONG, at + 4);
                int last4 = data.get(INT, at + 12);
                long scales = Q4KMatrix.packedScales(first8, last4);
                long mins = Q4KMatrix.packedMins(first8, last4);
                float d = half(at);
                float dmin = half(at + 2);
                int sub = c / SUB;
                float blockMins = 0;
                IntVector qh = IntVector.fromMemorySegment(I8, data, at + 16, ORDER);
                for (int chunk = 0; chunk < 4; chunk++) {
                    int first = c + 2 * SUB * chunk;
                    IntVector q = IntVector.fromMemorySegment(I8, data, at + 48 + SUB * chunk, ORDER);
                    IntVector fifth = qh.lanewise(VectorOperators.LSHR, 2 * chunk);
                    FloatVector low = FloatVector.zero(F8);
                    FloatVector high = low;
                    for (int b = 0; b < 4; b++) {
                        IntVector qb = q.lanewise(VectorOperators.LSHR, 8 * b);
                        IntVector fb = fifth.lanewise(VectorOperators.LSHR, 8 * b);
                        IntVector lowBits = qb.and(0xF).or(fb.lanewise(VectorOperators.LSHL, 4).and(0x10));
                        IntVector highBits = qb.lanewise(VectorOperators.LSHR, 4).and(0xF)
                                .or(fb.lanewise(VectorOperators.LSHL, 3).and(0x10));
                        low = ((FloatVector) lowBits.convert(VectorOperators.I2F, 0))
                                .fma(FloatVector.fromArray(F8, xs, first + 8 * b), low);
                        high = ((FloatVector) highBits.convert(VectorOperators.I2F, 0))
                                .fma(FloatVector.fromArray(F8, xs, first + SUB + 8 * b), high);
                    }
                    int shift = 16 * chunk;
                    acc0 = low.fma(FloatVector.broadcast(F8, d * (int) (scales >>> shift & 0xFF)), acc0);
                    acc1 = high.fma(FloatVector.broadcast(F8, d * (int) (scales >>> (shift + 8) & 0xFF)), acc1);
                    blockMins += (int) (mins >>> shift & 0xFF) * xSums[sub + 2 * chunk]
                            + (int) (mins >>> (shift + 8) & 0xFF) * xSums[sub + 2 * chunk + 1];
                }
                offsets += dmin * blockMins;
            }
            y[yOffset + r - from] = acc0.add(acc1).reduceLanes(VectorOperators.ADD) - offsets;
        }
    }
}
