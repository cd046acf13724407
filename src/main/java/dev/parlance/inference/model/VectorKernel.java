package dev.parlance.inference.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products in Java's Vector API, on row-major float32 matrices in native memory: one
 * token's ({@link #rows}, read as four sequential streams, on one core of this machine's AMD EPYC
 * at about twice the bandwidth of MKL's matrix-vector product, which takes the CPU for a generic
 * one), a prompt's ({@link #matMul}), and attention.
 *
 * <p>Used only when {@link MatVec.Kernel#best()} is {@link MatVec.Kernel#VECTOR}: without the
 * {@code jdk.incubator.vector} module, loading this class fails.
 */
public final class VectorKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ORDER);
    /** Tokens in one panel of {@link #packTokens}'s layout: two vectors of them. */
    static final int TOKEN_PANEL = 2 * LANES;
    /**
     * Weight rows that one tile of {@link #matMul} multiplies with a panel of tokens: twelve
     * accumulators, which with the operands fit AVX2's 16 vector registers (AVX-512 has 32).
     */
    private static final int TILE_ROWS = 6;
    /** Weight rows that stay in the core's cache while every panel of tokens passes them. */
    static final int ROW_BLOCK = 8 * TILE_ROWS;

    private VectorKernel() {}

    /**
     * {@code y[yOffset + r - from] = row r of the matrix · x} for rows {@code from .. to - 1} of
     * {@code block}, whose rows are {@code cols} floats long.
     *
     * <p>The rows go in four streams at once: the four quarters of the range, a row of each per
     * step, one accumulator each. One core reads a single stream at about 20–27 GB/s here, and
     * far less from a memory-mapped file's pages (9–18 GB/s for TinyLlama's); four streams keep
     * more reads in flight, and read 34–48 GB/s from both.
     */
    static void rows(MemorySegment block, int cols, float[] x, int from, int to, float[] y, int yOffset) {
        long rowBytes = (long) cols * Float.BYTES;
        int vectors = cols - cols % LANES;
        int quarter = (to - from) / 4;
        long stride = quarter * rowBytes;
        for (int i = 0; i < quarter; i++) {
            long row0 = (from + i) * rowBytes;
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < vectors; c += LANES) {
                FloatVector xc = FloatVector.fromArray(SPECIES, x, c);
                long at = row0 + c * Float.BYTES;
                a0 = FloatVector.fromMemorySegment(SPECIES, block, at, ORDER).fma(xc, a0);
                a1 = FloatVector.fromMemorySegment(SPECIES, block, at + stride, ORDER).fma(xc, a1);
                a2 = FloatVector.fromMemorySegment(SPECIES, block, at + 2 * stride, ORDER).fma(xc, a2);
                a3 = FloatVector.fromMemorySegment(SPECIES, block, at + 3 * stride, ORDER).fma(xc, a3);
            }
            int out = yOffset + i;
            y[out] = a0.reduceLanes(VectorOperators.ADD) + tail(block, row0, x, vectors, cols);
            y[out + quarter] = a1.reduceLanes(VectorOperators.ADD) + tail(block, row0 + stride, x, vectors, cols);
            y[out + 2 * quarter] = a2.reduceLanes(VectorOperators.ADD)
                    + tail(block, row0 + 2 * stride, x, vectors, cols);
            y[out + 3 * quarter] = a3.reduceLanes(VectorOperators.ADD)
                    + tail(block, row0 + 3 * stride, x, vectors, cols);
        }
        for (int r = from + 4 * quarter; r < to; r++) {
            long row = r * rowBytes;
            FloatVector a = FloatVector.zero(SPECIES);
            for (int c = 0; c < vectors; c += LANES) {
                a = FloatVector.fromMemorySegment(SPECIES, block, row + c * Float.BYTES, ORDER)
                        .fma(FloatVector.fromArray(SPECIES, x, c), a);
            }
            y[yOffset + r - from] = a.reduceLanes(VectorOperators.ADD) + tail(block, row, x, vectors, cols);
        }
    }

    /** The products of a row's last values, from {@code from} on, that fill no whole vector. */
    private static float tail(MemorySegment block, long row, float[] x, int from, int cols) {
        float sum = 0;
        for (int c = from; c < cols; c++) {
            sum += block.get(FLOAT, row + c * Float.BYTES) * x[c];
        }
        return sum;
    }

    /**
     * Lays out {@code tokens} rows of {@code x}, token t from {@code t * xStride}, for {@link #matMul}:
     * panels of {@link #TOKEN_PANEL} tokens, each {@code [cols][TOKEN_PANEL]}, so that one
     * column of a panel is one vector load; the last panel is padded with zeros. This call lays
     * out panels {@code fromPanel .. toPanel - 1}.
     *
     * @param packed room for {@code cols} values per token, with the last panel's padding
     */
    static void packTokens(float[] x, int xStride, int tokens, int cols, float[] packed, int fromPanel, int toPanel) {
        for (int first = fromPanel * TOKEN_PANEL; first < Math.min(tokens, toPanel * TOKEN_PANEL);
                first += TOKEN_PANEL) {
            int panel = first * cols;
            int inPanel = Math.min(TOKEN_PANEL, tokens - first);
            for (int j = 0; j < TOKEN_PANEL; j++) {
                int row = (first + j) * xStride;
                for (int c = 0; c < cols; c++) {
                    packed[panel + c * TOKEN_PANEL + j] = j < inPanel ? x[row + c] : 0;
                }
            }
        }
    }

    /**
     * The products of rows {@code from .. to - 1} of {@code block} with {@code tokens} tokens
     * packed by {@link #packTokens}: {@code y[t * yStride + column + r - from] = row r · token t},
     * plus {@code bias[column + r - from]} unless it is null.
     *
     * <p>A tile broadcasts one weight at a time and multiplies it with two vectors of tokens, so
     * the weights are read in their own row-major layout, and each value loaded feeds
     * {@link #TILE_ROWS} or two multiply-adds. On one core of this machine's AMD EPYC that runs at
     * 100–130 GFLOP/s, where MKL's matrix product runs at 70–90.
     */
    static void matMul(MemorySegment block, int cols, int from, int to, float[] packed, int tokens, float[] bias,
            float[] y, int yStride, int column) {
        matMul(block, cols, from, to, packed, TOKEN_PANEL * cols, TOKEN_PANEL, tokens, bias, y, yStride, column);
    }

    /**
     * {@link #matMul} on tokens laid out otherwise: panel p (tokens {@code p * TOKEN_PANEL ..})
     * starts at {@code p * panelStride} in {@code packed}, and each of its columns {@code step}
     * floats after the one before. A row-major {@code [cols][n]} matrix, {@code n} a multiple of
     * the panel, is such a layout as it stands: the n tokens are its columns.
     */
    static void matMul(MemorySegment block, int cols, int from, int to, float[] packed, int panelStride, int step,
            int tokens, float[] bias, float[] y, int yStride, int column) {
        float[] tile = new float[TILE_ROWS * TOKEN_PANEL];
        for (int rowBlock = from; rowBlock < to; rowBlock += ROW_BLOCK) {
            int rowBlockEnd = Math.min(to, rowBlock + ROW_BLOCK);
            for (int first = 0; first < tokens; first += TOKEN_PANEL) {
                int inPanel = Math.min(TOKEN_PANEL, tokens - first);
                int r = rowBlock;
                for (; r + TILE_ROWS <= rowBlockEnd; r += TILE_ROWS) {
                    sixRows(block, cols, r, packed, first / TOKEN_PANEL * panelStride, step, tile);
                    storeTile(tile, TILE_ROWS, inPanel, bias, y, first * yStride, yStride, column + r - from);
                }
                for (; r < rowBlockEnd; r++) {
                    oneRow(block, cols, r, packed, first / TOKEN_PANEL * panelStride, step, tile);
                    storeTile(tile, 1, inPanel, bias, y, first * yStride, yStride, column + r - from);
                }
            }
        }
    }

    /**
     * Rows {@code r .. r + 5} times one panel of tokens, into {@code tile}: row i's products with
     * the panel's tokens at {@code i * TOKEN_PANEL}. The accumulators go out through an array,
     * never as arguments: a vector passed to a method that is not inlined is boxed.
     */
    private static void sixRows(MemorySegment block, int cols, int r, float[] packed, int panel, int step,
            float[] tile) {
        long rowBytes = (long) cols * Float.BYTES;
        long w0 = r * rowBytes;
        long w1 = w0 + rowBytes;
        long w2 = w1 + rowBytes;
        long w3 = w2 + rowBytes;
        long w4 = w3 + rowBytes;
        long w5 = w4 + rowBytes;
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        for (int c = 0; c < cols; c++) {
            int at = panel + c * step;
            FloatVector x0 = FloatVector.fromArray(SPECIES, packed, at);
            FloatVector x1 = FloatVector.fromArray(SPECIES, packed, at + LANES);
            int offset = c * Float.BYTES;
            FloatVector w = FloatVector.broadcast(SPECIES, block.get(FLOAT, w0 + offset));
            c00 = x0.fma(w, c00);
            c01 = x1.fma(w, c01);
            w = FloatVector.broadcast(SPECIES, block.get(FLOAT, w1 + offset));
            c10 = x0.fma(w, c10);
            c11 = x1.fma(w, c11);
            w = FloatVector.broadcast(SPECIES, block.get(FLOAT, w2 + offset));
            c20 = x0.fma(w, c20);
            c21 = x1.fma(w, c21);
            w = FloatVector.broadcast(SPECIES, block.get(FLOAT, w3 + offset));
            c30 = x0.fma(w, c30);
            c31 = x1.fma(w, c31);
            w = FloatVector.broadcast(SPECIES, block.get(FLOAT, w4 + offset));
            c40 = x0.fma(w, c40);
            c41 = x1.fma(w, c41);
            w = FloatVector.broadcast(SPECIES, block.get(FLOAT, w5 + offset));
            c50 = x0.fma(w, c50);
            c51 = x1.fma(w, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, LANES);
        c10.intoArray(tile, 2 * LANES);
        c11.intoArray(tile, 3 * LANES);
        c20.intoArray(tile, 4 * LANES);
        c21.intoArray(tile, 5 * LANES);
        c30.intoArray(tile, 6 * LANES);
        c31.intoArray(tile, 7 * LANES);
        c40.intoArray(tile, 8 * LANES);
        c41.intoArray(tile, 9 * LANES);
        c50.intoArray(tile, 10 * LANES);
        c51.intoArray(tile, 11 * LANES);
    }

    /** Row {@code r} times one panel of tokens, into {@code tile[0 .. TOKEN_PANEL - 1]}. */
    private static void oneRow(MemorySegment block, int cols, int r, float[] packed, int panel, int step, float[] tile) {
        long row = (long) r * cols * Float.BYTES;
        FloatVector c0 = FloatVector.zero(SPECIES);
        FloatVector c1 = c0;
        for (int c = 0; c < cols; c++) {
            int at = panel + c * step;
            FloatVector w = FloatVector.broadcast(SPECIES, block.get(FLOAT, row + c * Float.BYTES));
            c0 = FloatVector.fromArray(SPECIES, packed, at).fma(w, c0);
            c1 = FloatVector.fromArray(SPECIES, packed, at + LANES).fma(w, c1);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, LANES);
    }

    /** Writes a tile's first {@code rows} rows for the panel's first {@code tokens} tokens. */
    private static void storeTile(float[] tile, int rows, int tokens, float[] bias, float[] y, int firstAt,
            int yStride, int column) {
        for (int i = 0; i < rows; i++) {
            float add = bias == null ? 0 : bias[column + i];
            for (int j = 0; j < tokens; j++) {
                y[firstAt + j * yStride + column + i] = tile[i * TOKEN_PANEL + j] + add;
            }
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
     * @param softCap {@code c} of {@code c * tanh(score / c)} before the softmax (Gemma 2), or 0
     */
    static void attend(float[] q, int qOffset, int queries, MemorySegment keys, MemorySegment values, int base,
            int headDim, int length, float[] scores, float[] out, int outOffset, float softCap) {
        if (headDim % (4 * LANES) == 0) {
            scoresByBlocks(q, qOffset, queries, keys, base, headDim, length, scores);
        } else {
            scoresOneByOne(q, qOffset, queries, keys, base, headDim, length, scores);
        }
        for (int g = 0; g < queries; g++) {
            int at = g * length;
            float norm = 1 / softmaxInPlace(scores, at, length, softCap);
            weightedValues(scores, at, values, base, headDim, length, norm, out, outOffset + g * headDim);
        }
    }

    /**
     * The attention of {@code tokens} consecutive prompt tokens for the {@code group} query heads
     * that share one KV head. The last token sees positions {@code 0 .. length - 1}, each one
     * before it one position fewer. Query g of token i is at {@code qOffset + i * qStride + g * headDim},
     * its output goes to {@code outOffset + i * outStride + g * headDim}.
     *
     * <p>Both halves are {@link #matMul}s over every query of the block, so each key and each
     * value is loaded once for all of them. The scores take the keys as the weight rows and the
     * queries as the tokens. After each query's softmax over the positions it sees (zero beyond),
     * the weighted values take the probabilities as the weight rows and the value dimensions as
     * the tokens, read in place from {@code values}' rows (which is why these are an array). A
     * head dimension that is not a whole number of panels reads into the next row, and the last
     * row into the room after it, for lanes that are never stored.
     *
     * @param keys {@code [positions, headDim]} rows from {@code firstRow}, position 0 first
     * @param values the same positions' values, {@code [length, headDim]} from index 0, with
     *     {@link #TOKEN_PANEL} floats of room after them
     * @param scratch {@link AttentionScratch#fit fitted} to at least these tokens, group, length and headDim
     * @param softCap {@code c} of {@code c * tanh(score / c)} before the softmax (Gemma 2), or 0
     */
    static void attendTokens(float[] q, int qOffset, int qStride, int tokens, int group, MemorySegment keys,
            int firstRow, float[] values, int headDim, int length, AttentionScratch scratch, float[] out,
            int outOffset, int outStride, float softCap) {
        int queries = tokens * group;
        float[] packed = scratch.packed;
        int padded = (queries + TOKEN_PANEL - 1) / TOKEN_PANEL * TOKEN_PANEL;
        for (int j = 0; j < padded; j++) {
            int at = j / TOKEN_PANEL * TOKEN_PANEL * headDim + j % TOKEN_PANEL;
            int from = qOffset + j / group * qStride + j % group * headDim;
            for (int c = 0; c < headDim; c++) {
                packed[at + c * TOKEN_PANEL] = j < queries ? q[from + c] : 0;
            }
        }
        float[] scores = scratch.scores;
        matMul(keys, headDim, firstRow, firstRow + length, packed, queries, null, scores, length, 0);
        float[] norms = scratch.norms;
        for (int j = 0; j < queries; j++) {
            int seen = length - tokens + 1 + j / group;
            norms[j] = 1 / softmaxInPlace(scores, j * length, seen, softCap);
            Arrays.fill(scores, j * length + seen, (j + 1) * length, 0);
        }
        MemorySegment probabilities = scratch.probabilities;
        MemorySegment.copy(scores, 0, probabilities, FLOAT, 0, queries * length);
        float[] transposed = scratch.transposed; // [headDim][queries]
        matMul(probabilities, length, 0, queries, values, TOKEN_PANEL, headDim, headDim, null, transposed, queries, 0);
        for (int j = 0; j < queries; j++) {
            int at = outOffset + j / group * outStride + j % group * headDim;
            for (int d = 0; d < headDim; d++) {
                out[at + d] = transposed[d * queries + j] * norms[j];
            }
        }
    }

    /** Room for {@link #attendTokens}, kept by each thread and grown as prompts need. */
    static final class AttentionScratch {
        private float[] packed = new float[0];
        private float[] scores = new float[0];
        private float[] norms = new float[0];
        private float[] transposed = new float[0];
        private MemorySegment probabilities = MemorySegment.NULL;

        /** Makes room for blocks of {@code tokens} tokens of {@code group} queries over {@code length} positions. */
        AttentionScratch fit(int tokens, int group, int length, int headDim) {
            int queries = tokens * group;
            int padded = (queries + TOKEN_PANEL - 1) / TOKEN_PANEL * TOKEN_PANEL;
            if (packed.length < padded * headDim) {
                packed = new float[padded * headDim];
            }
            if (scores.length < queries * length) {
                scores = new float[queries * length];
                probabilities = Arena.ofAuto().allocate((long) scores.length * Float.BYTES, 64);
            }
            if (norms.length < queries) {
                norms = new float[queries];
            }
            if (transposed.length < headDim * queries) {
                transposed = new float[headDim * queries];
            }
            return this;
        }
    }

    /** Scores when the head dimension is a whole number of 4-vector blocks: each key block is loaded once. */
    private static void scoresByBlocks(float[] q, int qOffset, int queries, MemorySegment keys, int base, int headDim,
            int length, float[] scores) {
        for (int d = 0; d < headDim; d += 4 * LANES) {
            for (int l = 0; l < length; l++) {
                int at = (base + l * headDim + d) * Float.BYTES;
                FloatVector k0 = FloatVector.fromMemorySegment(SPECIES, keys, at, ORDER);
                FloatVector k1 = FloatVector.fromMemorySegment(SPECIES, keys, at + LANES * Float.BYTES, ORDER);
                FloatVector k2 = FloatVector.fromMemorySegment(SPECIES, keys, at + 2 * LANES * Float.BYTES, ORDER);
                FloatVector k3 = FloatVector.fromMemorySegment(SPECIES, keys, at + 3 * LANES * Float.BYTES, ORDER);
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

    private static void scoresOneByOne(float[] q, int qOffset, int queries, MemorySegment keys, int base, int headDim,
            int length, float[] scores) {
        int vectors = headDim - headDim % LANES;
        for (int g = 0; g < queries; g++) {
            int qa = qOffset + g * headDim;
            for (int l = 0; l < length; l++) {
                int row = base + l * headDim;
                FloatVector acc = FloatVector.zero(SPECIES);
                for (int d = 0; d < vectors; d += LANES) {
                    acc = FloatVector.fromMemorySegment(SPECIES, keys, (row + d) * Float.BYTES, ORDER)
                            .fma(FloatVector.fromArray(SPECIES, q, qa + d), acc);
                }
                float dot = acc.reduceLanes(VectorOperators.ADD);
                for (int d = vectors; d < headDim; d++) {
                    dot += keys.get(FLOAT, (row + d) * Float.BYTES) * q[qa + d];
                }
                scores[g * length + l] = dot;
            }
        }
    }

    /** {@code out[outOffset + d] = norm · Σ_p weights[at + p] · V[p][d]}. */
    private static void weightedValues(float[] weights, int at, MemorySegment values, int base, int headDim, int length,
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
                o0 = FloatVector.fromMemorySegment(SPECIES, values, from, ORDER).fma(weight, o0);
                o1 = FloatVector.fromMemorySegment(SPECIES, values, from + LANES * Float.BYTES, ORDER).fma(weight, o1);
                o2 = FloatVector.fromMemorySegment(SPECIES, values, from + 2 * LANES * Float.BYTES, ORDER).fma(weight, o2);
                o3 = FloatVector.fromMemorySegment(SPECIES, values, from + 3 * LANES * Float.BYTES, ORDER).fma(weight, o3);
            }
            o0.mul(norm).intoArray(out, outOffset + d);
            o1.mul(norm).intoArray(out, outOffset + d + LANES);
            o2.mul(norm).intoArray(out, outOffset + d + 2 * LANES);
            o3.mul(norm).intoArray(out, outOffset + d + 3 * LANES);
        }
        for (; d + LANES <= headDim; d += LANES) {
            FloatVector o0 = FloatVector.zero(SPECIES);
            for (int p = 0; p < length; p++) {
                o0 = FloatVector.fromMemorySegment(SPECIES, values, (base + p * headDim + d) * Float.BYTES, ORDER)
                        .fma(FloatVector.broadcast(SPECIES, weights[at + p]), o0);
            }
            o0.mul(norm).intoArray(out, outOffset + d);
        }
        for (; d < headDim; d++) {
            float sum = 0;
            for (int p = 0; p < length; p++) {
                sum += weights[at + p] * values.get(FLOAT, (base + p * headDim + d) * Float.BYTES);
            }
            out[outOffset + d] = sum * norm;
        }
    }

    /**
     * {@code scores[at + i] = exp(scores[at + i] - max)} for i below {@code length}, each score first
     * soft-capped to {@code softCap * tanh(score / softCap)} where {@code softCap} is positive;
     * returns their sum.
     */
    private static float softmaxInPlace(float[] scores, int at, int length, float softCap) {
        int end = at + length;
        if (softCap > 0) {
            for (int l = at; l < end; l++) {
                scores[l] = softCap * (float) Math.tanh(scores[l] / softCap);
            }
        }
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

    /**
     * SwiGLU in place: {@code gateUp[at + i] = silu(gateUp[at + i]) · gateUp[at + inter + i]} for
     * i below {@code inter}.
     */
    public static void swiGlu(float[] gateUp, int at, int inter) {
        int i = 0;
        for (; i + LANES <= inter; i += LANES) {
            FloatVector gate = FloatVector.fromArray(SPECIES, gateUp, at + i);
            FloatVector up = FloatVector.fromArray(SPECIES, gateUp, at + inter + i);
            FloatVector sigmoidDenominator = gate.neg().lanewise(VectorOperators.EXP).add(1f);
            gate.div(sigmoidDenominator).mul(up).intoArray(gateUp, at + i);
        }
        for (; i < inter; i++) {
            float gate = gateUp[at + i];
            gateUp[at + i] = gate / (1 + (float) Math.exp(-gate)) * gateUp[at + inter + i];
        }
    }

    /**
     * {@link #swiGlu} of each of {@code tokens} rows of {@code 2 * inter} values, the rows split
     * over {@code compute}'s threads.
     */
    public static void swiGluTokens(Compute compute, float[] gateUp, int tokens, int inter) {
        compute.forRows(tokens, 1, (scratch, from, to) -> {
            for (int t = from; t < to; t++) {
                swiGlu(gateUp, t * 2 * inter, inter);
            }
        });
    }

    /** sqrt(2 / pi), in float32 as PyTorch's tanh-approximated GELU has it. */
    private static final float GELU_TANH_SCALE = (float) Math.sqrt(2 / Math.PI);

    /**
     * GeGLU with the tanh-approximated GELU (PyTorch's {@code gelu(approximate="tanh")}, Gemma's
     * {@code gelu_pytorch_tanh}), in place:
     * {@code gateUp[at + i] = 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g³))) · gateUp[at + inter + i]}
     * with {@code g = gateUp[at + i]}, for i below {@code inter}.
     */
    public static void geluTanhGlu(float[] gateUp, int at, int inter) {
        int i = 0;
        for (; i + LANES <= inter; i += LANES) {
            FloatVector gate = FloatVector.fromArray(SPECIES, gateUp, at + i);
            FloatVector up = FloatVector.fromArray(SPECIES, gateUp, at + inter + i);
            FloatVector inner = gate.mul(gate).mul(gate).mul(0.044715f).add(gate).mul(GELU_TANH_SCALE);
            FloatVector gelu = inner.lanewise(VectorOperators.TANH).add(1f).mul(gate).mul(0.5f);
            gelu.mul(up).intoArray(gateUp, at + i);
        }
        for (; i < inter; i++) {
            gateUp[at + i] = geluTanh(gateUp[at + i]) * gateUp[at + inter + i];
        }
    }

    private static float geluTanh(float x) {
        float inner = GELU_TANH_SCALE * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1 + (float) Math.tanh(inner));
    }

    /**
     * {@link #geluTanhGlu} of each of {@code tokens} rows of {@code 2 * inter} values, the rows
     * split over {@code compute}'s threads.
     */
    public static void geluTanhGluTokens(Compute compute, float[] gateUp, int tokens, int inter) {
        compute.forRows(tokens, 1, (scratch, from, to) -> {
            for (int t = from; t < to; t++) {
                geluTanhGlu(gateUp, t * 2 * inter, inter);
            }
        });
    }

    /**
     * Runs every kernel on small inputs, enough times for the JIT to compile it. Until then the
     * Vector API runs as plain Java that allocates an object per vector operation: without this,
     * the first decode step of a 135M model took 1.2 s and made 377 MB of garbage, by which the
     * JVM grew its heap for good.
     */
    static void warmUp() {
        int cols = 4 * LANES + LANES + 1; // vectors and a scalar tail
        int matrixRows = 5; // four streams and a row alone
        MemorySegment matrix = Arena.ofAuto().allocate((long) matrixRows * cols * Float.BYTES, 64);
        float[] x = new float[cols];
        float[] y = new float[matrixRows];
        int headDim = 4 * LANES;
        int length = LANES + 1;
        MemorySegment cache = Arena.ofAuto().allocate((long) length * headDim * Float.BYTES, 64);
        float[] q = new float[2 * headDim];
        float[] scores = new float[2 * length];
        float[] out = new float[2 * headDim];
        float[] gateUp = new float[2 * length];
        int tokens = TOKEN_PANEL + 1; // a full panel and a padded one
        float[] packed = new float[2 * TOKEN_PANEL * cols];
        float[] products = new float[tokens * (TILE_ROWS + 1)];
        float[] tokenRows = new float[tokens * cols];
        MemorySegment tileMatrix = Arena.ofAuto().allocate((long) (TILE_ROWS + 1) * cols * Float.BYTES, 64);
        float[] valueRows = new float[length * headDim + TOKEN_PANEL];
        AttentionScratch attentionScratch = new AttentionScratch().fit(2, 1, length, headDim);
        // past HotSpot's threshold for compiling with C2 (5,000 calls), with time to compile
        for (int i = 0; i < 6_000; i++) {
            rows(matrix, cols, x, 0, matrixRows, y, 0);
            attend(q, 0, 2, cache, cache, 0, headDim, length, scores, out, 0, 0);
            swiGlu(gateUp, 0, length);
            geluTanhGlu(gateUp, 0, length);
            if (i % 10 == 0) { // a tile does a thousand times the work of a row
                packTokens(tokenRows, cols, tokens, cols, packed, 0, 2);
                matMul(tileMatrix, cols, 0, TILE_ROWS + 1, packed, tokens, null, products, TILE_ROWS + 1, 0);
                attendTokens(q, 0, headDim, 2, 1, cache, 0, valueRows, headDim, length, attentionScratch, out, 0,
                        headDim, 0);
            }
        }
        // the garbage made the heap grow; a full collection gives that memory back before the
        // model's weights arrive, where it would otherwise stay resident for the process's life
        System.gc();
    }
}
