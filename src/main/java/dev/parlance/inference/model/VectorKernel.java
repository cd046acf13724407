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
     * The attention of {@code queries} query heads that share one KV head, over positions
     * {@code 0 .. length - 1}: {@code out[outOffset + g * headDim ..] = softmax(q_g · K) · V} for
     * the scaled queries {@code q_g} at {@code qOffset + g * headDim}. The keys and values are
     * {@code [capacity, headDim]} floats from float index {@code base}, one position after another,
     * so each is read as one sequential stream, the keys once for all the heads.
     *
     * @param scores room for {@code queries * length} scores
     */
    static void attend(float[] q, int qOffset, int queries, ByteBuffer keys, ByteBuffer values, int base,
            int headDim, int length, float[] scores, float[] out, int outOffset) {
        if (headDim % (4 * LANES) == 0) {
            scoresByBlocks(q, qOffset, queries, keys, base, headDim, length, scores);
        } else {
            scoresOneByOne(q, qOffset, queries, keys, base, headDim, length, scores);
        }
        for (int g = 0; g < queries; g++) {
            int at = g * length;
            float norm = 1 / softmaxInPlace(scores, at, length);
            weightedValues(scores, at, values, base, headDim, length, norm, out, outOffset + g * headDim);
        }
    }

    /** Scores when the head dimension is a whole number of 4-vector blocks: each key block is loaded once. */
    private static void scoresByBlocks(float[] q, int qOffset, int queries, ByteBuffer keys, int base, int headDim,
            int length, float[] scores) {
        for (int d = 0; d < headDim; d += 4 * LANES) {
            for (int l = 0; l < length; l++) {
                int at = (base + l * headDim + d) * Float.BYTES;
                FloatVector k0 = FloatVector.fromByteBuffer(SPECIES, keys, at, ORDER);
                FloatVector k1 = FloatVector.fromByteBuffer(SPECIES, keys, at + LANES * Float.BYTES, ORDER);
                FloatVector k2 = FloatVector.fromByteBuffer(SPECIES, keys, at + 2 * LANES * Float.BYTES, ORDER);
                FloatVector k3 = FloatVector.fromByteBuffer(SPECIES, keys, at + 3 * LANES * Float.BYTES, ORDER);
                for (int g = 0; g < queries; g++) {
                    int qa = qOffset + g * headDim + d;
                    FloatVector s0 = FloatVector.fromArray(SPECIES, q, qa).mul(k0);
                    FloatVector s1 = FloatVector.fromArray(SPECIES, q, qa + LANES).mul(k1);
                    s0 = FloatVector.fromArray(SPECIES, q, qa + 2 * LANES).fma(k2, s0);
                    s1 = FloatVector.fromArray(SPECIES, q, qa + 3 * LANES).fma(k3, s1);
                    float dot = s0.add(s1).reduceLanes(VectorOperators.ADD);
                    int si = g * length + l;
                    scores[si] = d == 0 ? dot : scores[si] + dot;
                }
            }
        }
    }

    private static void scoresOneByOne(float[] q, int qOffset, int queries, ByteBuffer keys, int base, int headDim,
            int length, float[] scores) {
        int vectors = headDim - headDim % LANES;
        for (int g = 0; g < queries; g++) {
            int qa = qOffset + g * headDim;
            for (int l = 0; l < length; l++) {
                int row = base + l * headDim;
                FloatVector acc = FloatVector.zero(SPECIES);
                for (int d = 0; d < vectors; d += LANES) {
                    acc = FloatVector.fromByteBuffer(SPECIES, keys, (row + d) * Float.BYTES, ORDER)
                            .fma(FloatVector.fromArray(SPECIES, q, qa + d), acc);
                }
                float dot = acc.reduceLanes(VectorOperators.ADD);
                for (int d = vectors; d < headDim; d++) {
                    dot += keys.getFloat((row + d) * Float.BYTES) * q[qa + d];
                }
                scores[g * length + l] = dot;
            }
        }
    }

    /** {@code out[outOffset + d] = norm · Σ_p weights[at + p] · V[p][d]}. */
    private static void weightedValues(float[] weights, int at, ByteBuffer values, int base, int headDim, int length,
            float norm, float[] out, int outOffset) {
        int d = 0;
        for (; d + 4 * LANES <= headDim; d += 4 * LANES) {
            FloatVector o0 = FloatVector.zero(SPECIES);
            FloatVector o1 = o0;
            FloatVector o2 = o0;
            FloatVector o3 = o0;
            for (int p = 0; p < length; p++) {
                FloatVector weight = FloatVector.broadcast(SPECIES, weights[at + p]);
                int from = (base + p * headDim + d) * Float.BYTES;
                o0 = FloatVector.fromByteBuffer(SPECIES, values, from, ORDER).fma(weight, o0);
                o1 = FloatVector.fromByteBuffer(SPECIES, values, from + LANES * Float.BYTES, ORDER).fma(weight, o1);
                o2 = FloatVector.fromByteBuffer(SPECIES, values, from + 2 * LANES * Float.BYTES, ORDER).fma(weight, o2);
                o3 = FloatVector.fromByteBuffer(SPECIES, values, from + 3 * LANES * Float.BYTES, ORDER).fma(weight, o3);
            }
            o0.mul(norm).intoArray(out, outOffset + d);
            o1.mul(norm).intoArray(out, outOffset + d + LANES);
            o2.mul(norm).intoArray(out, outOffset + d + 2 * LANES);
            o3.mul(norm).intoArray(out, outOffset + d + 3 * LANES);
        }
        for (; d + LANES <= headDim; d += LANES) {
            FloatVector o0 = FloatVector.zero(SPECIES);
            for (int p = 0; p < length; p++) {
                o0 = FloatVector.fromByteBuffer(SPECIES, values, (base + p * headDim + d) * Float.BYTES, ORDER)
                        .fma(FloatVector.broadcast(SPECIES, weights[at + p]), o0);
            }
            o0.mul(norm).intoArray(out, outOffset + d);
        }
        for (; d < headDim; d++) {
            float sum = 0;
            for (int p = 0; p < length; p++) {
                sum += weights[at + p] * values.getFloat((base + p * headDim + d) * Float.BYTES);
            }
            out[outOffset + d] = sum * norm;
        }
    }

    /** {@code scores[at + i] = exp(scores[at + i] - max)} for i below {@code length}; returns their sum. */
    private static float softmaxInPlace(float[] scores, int at, int length) {
        int end = at + length;
        int vectorsEnd = at + length - length % LANES;
        FloatVector maxima = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int l = at; l < vectorsEnd; l += LANES) {
            maxima = maxima.max(FloatVector.fromArray(SPECIES, scores, l));
        }
        float max = maxima.reduceLanes(VectorOperators.MAX);
        for (int l = vectorsEnd; l < end; l++) {
            max = Math.max(max, scores[l]);
        }
        FloatVector maxVector = FloatVector.broadcast(SPECIES, max);
        FloatVector sums = FloatVector.zero(SPECIES);
        for (int l = at; l < vectorsEnd; l += LANES) {
            FloatVector e = FloatVector.fromArray(SPECIES, scores, l).sub(maxVector).lanewise(VectorOperators.EXP);
            e.intoArray(scores, l);
            sums = sums.add(e);
        }
        float total = sums.reduceLanes(VectorOperators.ADD);
        for (int l = vectorsEnd; l < end; l++) {
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

    /**
     * Runs every kernel on small inputs, enough times for the JIT to compile it. Until then the
     * Vector API runs as plain Java that allocates an object per vector operation: without this,
     * the first decode step of a 135M model took 1.2 s and made 377 MB of garbage, by which the
     * JVM grew its heap for good.
     */
    static void warmUp() {
        int cols = 4 * LANES + LANES + 1; // every loop of rows(), the scalar tail included
        ByteBuffer matrix = ByteBuffer.allocateDirect(4 * cols * Float.BYTES).order(ORDER);
        float[] x = new float[cols];
        float[] y = new float[4];
        int headDim = 4 * LANES;
        int length = LANES + 1;
        ByteBuffer cache = ByteBuffer.allocateDirect(length * headDim * Float.BYTES).order(ORDER);
        float[] q = new float[2 * headDim];
        float[] scores = new float[2 * length];
        float[] out = new float[2 * headDim];
        float[] gateUp = new float[2 * length];
        // past HotSpot's threshold for compiling with C2 (5,000 calls), with time to compile
        for (int i = 0; i < 6_000; i++) {
            rows(matrix, cols, x, 0, 4, y, 0);
            attend(q, 0, 2, cache, cache, 0, headDim, length, scores, out, 0);
            swiGlu(gateUp, length);
        }
        // the garbage made the heap grow; a full collection gives that memory back before the
        // model's weights arrive, where it would otherwise stay resident for the process's life
        System.gc();
    }
}
