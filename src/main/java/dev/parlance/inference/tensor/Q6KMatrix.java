package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * ggml's {@code block_q6_K}, 210 bytes per 256 values: {@code uint8 ql[128]} (low four bits),
 * {@code uint8 qh[64]} (high two bits), {@code int8 scales[16]} (one per 16 values), {@code d}
 * (fp16, last); {@code y = d * scale * (q - 32)}. Half h (values {@code 128h ..}) reads
 * {@code ql[64h ..]} and {@code qh[32h ..]}: value {@code 128h + 32k + l} (k < 4, l < 32) takes
 * the low nibble of {@code ql[64h + l]} (k = 0), of {@code ql[64h + 32 + l]} (k = 1), their high
 * nibbles (k = 2, 3), and bits {@code 2k, 2k + 1} of {@code qh[32h + l]}.
 */
final class Q6KMatrix extends WeightMatrix {
    private static final int BLOCK = 256;
    private static final int BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    /** Lanes 0 to 3 take scale 2k of eight, lanes 4 to 7 scale 2k + 1. */
    private static final VectorShuffle<Float> PAIR0 = VectorShuffle.fromValues(F8, 0, 0, 0, 0, 1, 1, 1, 1);
    private static final VectorShuffle<Float> PAIR1 = VectorShuffle.fromValues(F8, 2, 2, 2, 2, 3, 3, 3, 3);
    private static final VectorShuffle<Float> PAIR2 = VectorShuffle.fromValues(F8, 4, 4, 4, 4, 5, 5, 5, 5);
    private static final VectorShuffle<Float> PAIR3 = VectorShuffle.fromValues(F8, 6, 6, 6, 6, 7, 7, 7, 7);

    Q6KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q6_K, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        MemorySegment data = data();
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at + D);
            for (int h = 0; h < 2; h++) {
                for (int g = 0; g < 32; g += 8) {
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B8, data, at + 64 * h + g, ORDER)
                            .convertShape(VectorOperators.B2I, I8, 0);
                    IntVector b = (IntVector) ByteVector.fromMemorySegment(B8, data, at + 64 * h + 32 + g, ORDER)
                            .convertShape(VectorOperators.B2I, I8, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B8, data, at + QH + 32 * h + g, ORDER)
                            .convertShape(VectorOperators.B2I, I8, 0);
                    int first = c + 128 * h + g;
                    long scales = at + SCALES + 8 * h + g / 16;
                    IntVector q0 = a.and(0xF).or(qh.and(3).lanewise(VectorOperators.LSHL, 4));
                    IntVector q1 = b.and(0xF).or(qh.and(0xC).lanewise(VectorOperators.LSHL, 2));
                    IntVector q2 = a.lanewise(VectorOperators.LSHR, 4).and(0xF).or(qh.and(0x30));
                    IntVector q3 = b.lanewise(VectorOperators.LSHR, 4).and(0xF)
                            .or(qh.lanewise(VectorOperators.LSHR, 2).and(0x30));
                    ((FloatVector) q0.sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, scales)).intoArray(into, first);
                    ((FloatVector) q1.sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, scales + 2)).intoArray(into, first + 32);
                    ((FloatVector) q2.sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, scales + 4)).intoArray(into, first + 64);
                    ((FloatVector) q3.sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, scales + 6)).intoArray(into, first + 96);
                }
            }
        }
    }

    /**
     * A half's 64 {@code ql} and 32 {@code qh} bytes are read as three vectors of eight ints;
     * byte b of int i holds the bits of the values {@code 32k + 4i + b}, shifted out in int
     * lanes (no byte lanes or widening shuffles) and met by x reordered once per call
     * ({@link WeightMatrix#interleave}). Lanes 0 to 3 and 4 to 7 take consecutive scales: the half's
     * eight scales are widened into one vector once, and each run of 32 values is scaled by a
     * constant rearrangement of it (one vpermps). The {@code - 32} of every value is taken out as
     * {@code 32 * scale} times the sum of its 16 values of x, the eight sums of the half in one
     * vector. Everything stays in
     * this method, the Vector API called directly: past C2's node count cutoff (the API's calls
     * expand into many nodes) a method of ours is no longer inlined, and a vector passed to or
     * returned from a method that is not inlined is boxed.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        MemorySegment data = data();
        float[] xs = interleave(x, cols);
        float[] xSums = runSums(x, cols, 16);
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc = FloatVector.zero(F8);
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                FloatVector block = FloatVector.zero(F8);
                for (int h = 0; h < 2; h++) {
                    IntVector a = IntVector.fromMemorySegment(I8, data, at + 64 * h, ORDER);
                    IntVector b = IntVector.fromMemorySegment(I8, data, at + 64 * h + 32, ORDER);
                    IntVector qh = IntVector.fromMemorySegment(I8, data, at + QH + 32 * h, ORDER);
                    FloatVector s0 = FloatVector.zero(F8);
                    FloatVector s1 = s0;
                    FloatVector s2 = s0;
                    FloatVector s3 = s0;
                    for (int k = 0; k < 4; k++) {
                        int first = c + 128 * h + 8 * k;
                        IntVector ak = a.lanewise(VectorOperators.LSHR, 8 * k);
                        IntVector bk = b.lanewise(VectorOperators.LSHR, 8 * k);
                        IntVector hk = qh.lanewise(VectorOperators.LSHR, 8 * k);
                        IntVector q0 = ak.and(0xF).or(hk.and(3).lanewise(VectorOperators.LSHL, 4));
                        IntVector q1 = bk.and(0xF).or(hk.and(0xC).lanewise(VectorOperators.LSHL, 2));
                        IntVector q2 = ak.lanewise(VectorOperators.LSHR, 4).and(0xF).or(hk.and(0x30));
                        IntVector q3 = bk.lanewise(VectorOperators.LSHR, 4).and(0xF)
                                .or(hk.lanewise(VectorOperators.LSHR, 2).and(0x30));
                        s0 = ((FloatVector) q0.convert(VectorOperators.I2F, 0))
                                .fma(FloatVector.fromArray(F8, xs, first), s0);
                        s1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0))
                                .fma(FloatVector.fromArray(F8, xs, first + 32), s1);
                        s2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0))
                                .fma(FloatVector.fromArray(F8, xs, first + 64), s2);
                        s3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0))
                                .fma(FloatVector.fromArray(F8, xs, first + 96), s3);
                    }
                    long scales = at + SCALES + 8 * h;
                    FloatVector eight = (FloatVector) ByteVector.fromMemorySegment(B8, data, scales, ORDER)
                            .convertShape(VectorOperators.B2I, I8, 0).convert(VectorOperators.I2F, 0);
                    block = s0.fma(eight.rearrange(PAIR0), block);
                    block = s1.fma(eight.rearrange(PAIR1), block);
                    block = s2.fma(eight.rearrange(PAIR2), block);
                    block = s3.fma(eight.rearrange(PAIR3), block);
                    block = eight.mul(-32).fma(FloatVector.fromArray(F8, xSums, (c + 128 * h) / 16), block);
                }
                float d = Float.float16ToFloat(data.get(SHORT, at + D));
                acc = block.fma(FloatVector.broadcast(F8, d), acc);
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    private static int unsigned(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}
