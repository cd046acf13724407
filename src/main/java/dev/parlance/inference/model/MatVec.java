package dev.parlance.inference.model;

import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix {@code [rows, cols]} ready for one-token products {@code y = W · x} and for the
 * products of a prompt's tokens {@code x · Wᵀ}, on Java's Vector API, computed on the weights' own
 * memory in the format they are stored in. The matrix is row-stacked {@link WeightMatrix} parts: a
 * token's product is each part's own kernel, a prompt's is {@link VectorKernel#matMul} (float32
 * read in place, other formats dequantized a block of rows at a time), their rows split over the
 * threads of the model's {@link Compute}. A model without the Vector API computes on PyTorch
 * instead ({@link TorchMatVec}).
 */
public final class MatVec {
    /** How a model computes its products. */
    public enum Kernel {
        /** Java's Vector API on the weights' memory. */
        VECTOR,
        /** PyTorch's products (MKL on x86). */
        TORCH;

        /** {@link #VECTOR} when the Vector API module is present. */
        public static Kernel best() {
            return VECTOR_AVAILABLE ? VECTOR : TORCH;
        }
    }

    private static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** Below this many weights a product is not worth splitting over threads. */
    private static final long MIN_PARALLEL_WEIGHTS = 1 << 16;

    private final Compute compute;
    private final int rows;
    private final int cols;
    /** The matrix as row-stacked parts: part i holds rows {@code firstRows[i] ..}. */
    private final WeightMatrix[] parts;
    private final int[] firstRows;

    private MatVec(Compute compute, WeightMatrix[] parts) {
        this.compute = compute;
        this.cols = parts[0].cols();
        this.parts = parts.clone();
        this.firstRows = new int[parts.length];
        int total = 0;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].cols() != cols) {
                throw new IllegalArgumentException("stacked matrices need the same columns: " + parts[i].cols()
                        + " and " + cols);
            }
            firstRows[i] = total;
            total = Math.addExact(total, parts[i].rows());
        }
        this.rows = total;
        WarmKernels.ensure();
    }

    /**
     * The matrices {@code parts} stacked by rows, as one matrix: the rows of the first part, then
     * those of the second, and so on (q, k and v as one product), computed on {@code compute}'s threads.
     */
    public static MatVec stacked(Compute compute, WeightMatrix... parts) {
        if (!VECTOR_AVAILABLE) {
            throw new IllegalStateException("the jdk.incubator.vector module is not present");
        }
        if (parts.length == 0) {
            throw new IllegalArgumentException("no matrices to stack");
        }
        return new MatVec(compute, parts);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Bytes of the matrix as stored: what one token's product reads. */
    public long byteSize() {
        long bytes = 0;
        for (WeightMatrix part : parts) {
            bytes += part.rows() * part.type().bytesFor(part.cols());
        }
        return bytes;
    }

    /** Copies row {@code row} into {@code into[offset .. offset + cols - 1]}. */
    public void copyRow(int row, float[] into, int offset) {
        int part = partOf(row);
        parts[part].dequantizeRow(row - firstRows[part], into, offset);
    }

    /** {@code y[0 .. rows - 1] = W · x[0 .. cols - 1]}. */
    public void multiply(float[] x, float[] y) {
        if (x.length < cols || y.length < rows) {
            throw new IllegalArgumentException("x needs " + cols + " values and y room for " + rows);
        }
        if ((long) rows * cols < MIN_PARALLEL_WEIGHTS) {
            multiplyRows(x, y, 0, rows);
        } else {
            compute.forRows(rows, 16, (scratch, from, to) -> multiplyRows(x, y, from, to));
        }
    }

    /**
     * The products of {@code tokens} tokens at once, on the vector kernel:
     * {@code y[t * rows + r] = row r · token t + bias[r]}, where token t is
     * {@code x[t * xStride .. t * xStride + cols - 1]}. Each block of weight rows stays in the
     * core's cache while every token passes it, so the weights are read from memory once.
     *
     * @param bias {@code [rows]}, or null
     */
    public void multiplyTokens(float[] x, int xStride, int tokens, float[] bias, float[] y) {
        if (xStride < cols || x.length < (tokens - 1L) * xStride + cols || y.length < (long) tokens * rows) {
            throw new IllegalArgumentException("x needs " + tokens + " rows of " + cols + " values and y room for "
                    + tokens + " of " + rows);
        }
        if (tokens == 1) { // a panel of tokens would be all padding
            multiply(x, y);
            if (bias != null) {
                for (int r = 0; r < rows; r++) {
                    y[r] += bias[r];
                }
            }
            return;
        }
        int panel = VectorKernel.TOKEN_PANEL;
        int panels = (tokens + panel - 1) / panel;
        float[] packed = compute.packedTokens(panels * panel * cols);
        compute.forRows(panels, 1,
                (scratch, from, to) -> VectorKernel.packTokens(x, xStride, tokens, cols, packed, from, to));
        compute.forRows(rows, VectorKernel.ROW_BLOCK, (scratch, from, to) -> inParts(from, to,
                (part, first, partFrom, partTo) -> multiplyTokensInBlocks(scratch, part, partFrom, partTo, packed,
                        tokens, bias, y, first + partFrom)));
    }

    /**
     * Rows {@code from .. to - 1} of {@code part} times the packed tokens, into {@code y} from
     * column {@code column}. Float32 rows are read in place; other formats are dequantized a
     * block of rows at a time into the thread's scratch, which stays in the core's cache while
     * every panel of tokens passes it. The scratch is native memory, as the mapped weights are:
     * the product kernel read a heap segment (a float array's) several times slower.
     */
    private void multiplyTokensInBlocks(Compute.Scratch threadScratch, WeightMatrix part, int from, int to, float[] packed, int tokens,
            float[] bias, float[] y, int column) {
        if (part.type() == GgmlType.F32) {
            VectorKernel.matMul(part.data(), cols, from, to, packed, tokens, bias, y, rows, column);
            return;
        }
        float[] scratch = threadScratch.dequantizedRows(VectorKernel.ROW_BLOCK * cols);
        MemorySegment block = threadScratch.nativeRows((long) VectorKernel.ROW_BLOCK * cols * Float.BYTES);
        for (int r = from; r < to; r += VectorKernel.ROW_BLOCK) {
            int n = Math.min(VectorKernel.ROW_BLOCK, to - r);
            for (int i = 0; i < n; i++) {
                part.dequantizeRow(r + i, scratch, i * cols);
            }
            MemorySegment.copy(scratch, 0, block, ValueLayout.JAVA_FLOAT, 0, n * cols);
            VectorKernel.matMul(block, cols, 0, n, packed, tokens, bias, y, rows, column + r - from);
        }
    }

    private void multiplyRows(float[] x, float[] y, int from, int to) {
        inParts(from, to, (part, first, partFrom, partTo) -> {
            if (part.type() == GgmlType.F32) {
                VectorKernel.rows(part.data(), cols, x, partFrom, partTo, y, first + partFrom);
            } else {
                part.multiplyRows(x, partFrom, partTo, y, first + partFrom);
            }
        });
    }

    /** Rows {@code partFrom .. partTo - 1} of {@code part}, whose first row is row {@code first} of the whole. */
    private interface PartRows {
        void run(WeightMatrix part, int first, int partFrom, int partTo);
    }

    /** Runs {@code task} on rows {@code from .. to - 1}, one part's share at a time. */
    private void inParts(int from, int to, PartRows task) {
        for (int row = from; row < to; ) {
            int part = partOf(row);
            int first = firstRows[part];
            int partEnd = Math.min(to, first + parts[part].rows());
            task.run(parts[part], first, row - first, partEnd - first);
            row = partEnd;
        }
    }

    private int partOf(int row) {
        int part = parts.length - 1;
        while (firstRows[part] > row) {
            part--;
        }
        return part;
    }

    /** Compiles the vector kernels once per process, before the first matrix uses them. */
    private static final class WarmKernels {
        static {
            VectorKernel.warmUp();
        }

        static void ensure() {
            // loading this class ran the warm-up
        }
    }
}
