package dev.parlance.inference.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector products in Java's Vector API, on a row-major float32 matrix in native memory.
 * Rows are taken one after another with four accumulators each, so the matrix is read as one
 * sequential stream: on one core of this machine's AMD EPYC that reads 576-wide rows at about
 * twice the bandwidth of MKL's matrix-vector product, which takes the CPU for a generic one.
 *
 * <p>Used only when {@link MatVec.Kernel#best()} is {@link MatVec.Kernel#VECTOR}: without the
 * {@code jdk.incubator.vector} module, loading this class fails.
 */
public final class VectorKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private VectorKernel() {}

    /**
     * {@code y[yOffset + r - from] = row r of the matrix · x} for rows {@code from .. to - 1} of
     * {@code block}, whose rows are {@code cols} floats long.
     */
    static void rows(ByteBuffer block, int cols, float[] x, int from, int to, float[] y, int yOffset) {
        int rowBytes = cols * Float.BYTES;
        int unrolled = cols - cols % (4 * LANES);
        int vectors = cols - cols % LANES;
        for (int r = from; r < to; r++) {
            int row = r * rowBytes;
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int c = 0;
            for (; c < unrolled; c += 4 * LANES) {
                int at = row + c * Float.BYTES;
                a0 = FloatVector.fromByteBuffer(SPECIES, block, at, ORDER)
                        .fma(FloatVector.fromArray(SPECIES, x, c), a0);
                a1 = FloatVector.fromByteBuffer(SPECIES, block, at + LANES * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(SPECIES, x, c + LANES), a1);
                a2 = FloatVector.fromByteBuffer(SPECIES, block, at + 2 * LANES * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(SPECIES, x, c + 2 * LANES), a2);
                a3 = FloatVector.fromByteBuffer(SPECIES, block, at + 3 * LANES * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(SPECIES, x, c + 3 * LANES), a3);
            }
            for (; c < vectors; c += LANES) {
                a0 = FloatVector.fromByteBuffer(SPECIES, block, row + c * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(SPECIES, x, c), a0);
            }
            float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                sum += block.getFloat(row + c * Float.BYTES) * x[c];
            }
            y[yOffset + r - from] = sum;
        }
    }

    /**
     * One query head's attention over positions {@code 0 .. length - 1} of its KV head:
     * {@code out[outOffset ..] = softmax(q · K) · V}, with {@code q} already scaled.
     *
     * @param keys {@code [headDim, capacity]} floats from float index {@code keyBase}: each
     *     dimension's keys lie side by side, so the scores of several positions accumulate in
     *     vector registers while the dimensions go by, with no horizontal sums
     * @param values {@code [capacity, headDim]} floats from float index {@code valueBase}
     * @param scores room for {@code length} scores
     */
    static void attend(float[] q, int qOffset, ByteBuffer keys, int keyBase, ByteBuffer values, int valueBase,
            int capacity, int headDim, int length, float[] scores, float[] out, int outOffset) {
        int l = 0;
        for (; l + 4 * LANES <= length; l += 4 * LANES) {
            FloatVector s0 = FloatVector.zero(SPECIES);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int d = 0; d < headDim; d++) {
                FloatVector qd = FloatVector.broadcast(SPECIES, q[qOffset + d]);
                int at = (keyBase + d * capacity + l) * Float.BYTES;
                s0 = FloatVector.fromByteBuffer(SPECIES, keys, at, ORDER).fma(qd, s0);
                s1 = FloatVector.fromByteBuffer(SPECIES, keys, at + LANES * Float.BYTES, ORDER).fma(qd, s1);
                s2 = FloatVector.fromByteBuffer(SPECIES, keys, at + 2 * LANES * Float.BYTES, ORDER).fma(qd, s2);
                s3 = FloatVector.fromByteBuffer(SPECIES, keys, at + 3 * LANES * Float.BYTES, ORDER).fma(qd, s3);
            }
            s0.intoArray(scores, l);
            s1.intoArray(scores, l + LANES);
            s2.intoArray(scores, l + 2 * LANES);
            s3.intoArray(scores, l + 3 * LANES);
        }
        for (; l + LANES <= length; l += LANES) {
            FloatVector s0 = FloatVector.zero(SPECIES);
            for (int d = 0; d < headDim; d++) {
                s0 = FloatVector.fromByteBuffer(SPECIES, keys, (keyBase + d * capacity + l) * Float.BYTES, ORDER)
                        .fma(FloatVector.broadcast(SPECIES, q[qOffset + d]), s0);
            }
            s0.intoArray(scores, l);
        }
        for (; l < length; l++) {
            float sum = 0;
            for (int d = 0; d < headDim; d++) {
                sum += q[qOffset + d] * keys.getFloat((keyBase + d * capacity + l) * Float.BYTES);
            }
            scores[l] = sum;
        }
        float norm = 1 / softmaxInPlace(scores, length);
        int d = 0;
        for (; d + 4 * LANES <= headDim; d += 4 * LANES) {
            FloatVector o0 = FloatVector.zero(SPECIES);
            FloatVector o1 = o0;
            FloatVector o2 = o0;
            FloatVector o3 = o0;
            for (int p = 0; p < length; p++) {
                FloatVector weight = FloatVector.broadcast(SPECIES, scores[p]);
                int at = (valueBase + p * headDim + d) * Float.BYTES;
                o0 = FloatVector.fromByteBuffer(SPECIES, values, at, ORDER).fma(weight, o0);
                o1 = FloatVector.fromByteBuffer(SPECIES, values, at + LANES * Float.BYTES, ORDER).fma(weight, o1);
                o2 = FloatVector.fromByteBuffer(SPECIES, values, at + 2 * LANES * Float.BYTES, ORDER).fma(weight, o2);
                o3 = FloatVector.fromByteBuffer(SPECIES, values, at + 3 * LANES * Float.BYTES, ORDER).fma(weight, o3);
            }
            o0.mul(norm).intoArray(out, outOffset + d);
            o1.mul(norm).intoArray(out, outOffset + d + LANES);
            o2.mul(norm).intoArray(out, outOffset + d + 2 * LANES);
            o3.mul(norm).intoArray(out, outOffset + d + 3 * LANES);
        }
        for (; d + LANES <= headDim; d += LANES) {
            FloatVector o0 = FloatVector.zero(SPECIES);
            for (int p = 0; p < length; p++) {
                o0 = FloatVector.fromByteBuffer(SPECIES, values, (valueBase + p * headDim + d) * Float.BYTES, ORDER)
                        .fma(FloatVector.broadcast(SPECIES, scores[p]), o0);
            }
            o0.mul(norm).intoArray(out, outOffset + d);
        }
        for (; d < headDim; d++) {
            float sum = 0;
            for (int p = 0; p < length; p++) {
                sum += scores[p] * values.getFloat((valueBase + p * headDim + d) * Float.BYTES);
            }
            out[outOffset + d] = sum * norm;
        }
    }

    /** {@code scores[i] = exp(scores[i] - max)} for the first {@code length}; returns their sum. */
    private static float softmaxInPlace(float[] scores, int length) {
        int vectors = length - length % LANES;
        FloatVector maxima = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int l = 0; l < vectors; l += LANES) {
            maxima = maxima.max(FloatVector.fromArray(SPECIES, scores, l));
        }
        float max = maxima.reduceLanes(VectorOperators.MAX);
        for (int l = vectors; l < length; l++) {
            max = Math.max(max, scores[l]);
        }
        FloatVector maxVector = FloatVector.broadcast(SPECIES, max);
        FloatVector sums = FloatVector.zero(SPECIES);
        for (int l = 0; l < vectors; l += LANES) {
            FloatVector e = FloatVector.fromArray(SPECIES, scores, l).sub(maxVector).lanewise(VectorOperators.EXP);
            e.intoArray(scores, l);
            sums = sums.add(e);
        }
        float total = sums.reduceLanes(VectorOperators.ADD);
        for (int l = vectors; l < length; l++) {
            scores[l] = (float) Math.exp(scores[l] - max);
            total += scores[l];
        }
        return total;
    }

    /** SwiGLU in place: {@code gateUp[i] = silu(gateUp[i]) · gateUp[inter + i]} for i below {@code inter}. */
    public static void swiGlu(float[] gateUp, int inter) {
        int i = 0;
        for (; i + LANES <= inter; i += LANES) {
            FloatVector gate = FloatVector.fromArray(SPECIES, gateUp, i);
            FloatVector up = FloatVector.fromArray(SPECIES, gateUp, inter + i);
            FloatVector sigmoidDenominator = gate.neg().lanewise(VectorOperators.EXP).add(1f);
            gate.div(sigmoidDenominator).mul(up).intoArray(gateUp, i);
        }
        for (; i < inter; i++) {
            float gate = gateUp[i];
            gateUp[i] = gate / (1 + (float) Math.exp(-gate)) * gateUp[inter + i];
        }
    }
}
