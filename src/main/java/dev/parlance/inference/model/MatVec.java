package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;

/**
 * A weight matrix {@code [rows, cols]} ready for one-token products {@code y = W · x} and for the
 * products of a prompt's tokens {@code x · Wᵀ}, computed on the weights' own memory in the format
 * they are stored in. With the {@code jdk.incubator.vector} module (the launcher scripts add it)
 * the matrix is row-stacked {@link WeightMatrix} parts: a token's product is each part's own
 * kernel, a prompt's is {@link VectorKernel#matMul} (float32 read in place, other formats
 * dequantized a block of rows at a time), their rows split over the compute threads by
 * {@link RowWorkers}; without it, PyTorch's, a prompt's on tensors ({@link #linear}).
 */
public final class MatVec {
    /** How a product is computed. */
    public enum Kernel {
        /** Java's Vector API on the weights' memory. */
        VECTOR,
        /** PyTorch's matrix-vector product (MKL on x86). */
        TORCH;

        /** {@link #VECTOR} when the Vector API module is present. */
        public static Kernel best() {
            return VECTOR_AVAILABLE ? VECTOR : TORCH;
        }
    }

    private static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** A tensor's buffer is indexed by int: a larger matrix is read as several parts of rows. */
    private static final long MAX_BLOCK_BYTES = 1L << 30;
    /** Below this many weights a product is not worth splitting over threads. */
    private static final long MIN_PARALLEL_WEIGHTS = 1 << 16;

    /** Each thread's tokens laid out for {@link VectorKernel#matMul}, kept for its next prompt. */
    private static final ThreadLocal<float[]> PACKED_TOKENS = ThreadLocal.withInitial(() -> new float[0]);
    /** Each thread's rows of a compressed matrix, dequantized for a prompt's product. */
    private static final ThreadLocal<float[]> DEQUANTIZED_ROWS = ThreadLocal.withInitial(() -> new float[0]);
    /** The same rows in native memory, which the product kernel reads. */
    private static final ThreadLocal<MemorySegment> NATIVE_ROWS = ThreadLocal.withInitial(() -> MemorySegment.NULL);

    private final NDArray weight;
    private final Kernel kernel;
    private final int rows;
    private final int cols;
    /** The matrix as row-stacked parts: part i holds rows {@code firstRows[i] ..}. */
    private final WeightMatrix[] parts;
    private final int[] firstRows;

    private MatVec(NDArray weight, Kernel kernel) {
        this(weight, kernel, MAX_BLOCK_BYTES);
    }

    /** With parts of at most {@code maxBlockBytes}: tests split small matrices into several. */
    MatVec(NDArray weight, Kernel kernel, long maxBlockBytes) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("a matrix-vector product needs a matrix, not " + shape);
        }
        this.weight = weight;
        this.kernel = kernel;
        this.rows = Math.toIntExact(shape.get(0));
        this.cols = Math.toIntExact(shape.get(1));
        int blockRows = (int) Math.max(1, Math.min(rows, maxBlockBytes / ((long) cols * Float.BYTES)));
        int count = kernel == Kernel.VECTOR ? (rows + blockRows - 1) / blockRows : 0;
        this.parts = new WeightMatrix[count];
        this.firstRows = new int[count];
        for (int b = 0; b < count; b++) {
            int from = b * blockRows;
            int to = Math.min(rows, from + blockRows);
            NDArray block = count == 1 ? weight : Ops.slice(weight, 0, from, to);
            firstRows[b] = from;
            parts[b] = WeightMatrix.of(GgmlType.F32, MemorySegment.ofBuffer(block.toByteBuffer(true)), to - from, cols);
        }
        if (kernel == Kernel.VECTOR) {
            WarmKernels.ensure();
        }
    }

    private MatVec(WeightMatrix[] parts) {
        this.weight = null;
        this.kernel = Kernel.VECTOR;
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
     * The matrices {@code parts} stacked by rows, as one matrix, on the vector kernel: the rows
     * of the first part, then those of the second, and so on (q, k and v as one product).
     */
    public static MatVec stacked(WeightMatrix... parts) {
        if (!VECTOR_AVAILABLE) {
            throw new IllegalStateException("the jdk.incubator.vector module is not present");
        }
        if (parts.length == 0) {
            throw new IllegalArgumentException("no matrices to stack");
        }
        return new MatVec(parts);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Bytes of the matrix as stored: what one token's product reads. */
    public long byteSize() {
        if (kernel == Kernel.TORCH) {
            return (long) rows * cols * Float.BYTES;
        }
        long bytes = 0;
        for (WeightMatrix part : parts) {
            bytes += part.rows() * part.type().bytesFor(part.cols());
        }
        return bytes;
    }

    /** {@code weight}, row-major float32 {@code [rows, cols]}, multiplied with {@code kernel}. */
    public static MatVec of(NDArray weight, Kernel kernel) {
        if (kernel == Kernel.VECTOR && !VECTOR_AVAILABLE) {
            throw new IllegalStateException("the jdk.incubator.vector module is not present");
        }
        return new MatVec(weight, kernel);
    }

    /** Splits the vector kernel's products over {@code threads} threads, the caller's included. */
    public static void useThreads(int threads) {
        RowWorkers.resize(threads);
    }

    /** Copies row {@code row} into {@code into[offset .. offset + cols - 1]}. */
    public void copyRow(int row, float[] into, int offset) {
        if (kernel == Kernel.TORCH) {
            Ops.read(weight.get(row), into, offset);
            return;
        }
        int part = partOf(row);
        parts[part].dequantizeRow(row - firstRows[part], into, offset);
    }

    /** {@code y[0 .. rows - 1] = W · x[0 .. cols - 1]}. */
    public void multiply(float[] x, float[] y) {
        if (x.length < cols || y.length < rows) {
            throw new IllegalArgumentException("x needs " + cols + " values and y room for " + rows);
        }
        if (kernel == Kernel.TORCH) {
            multiplyInTorch(x, y);
        } else if ((long) rows * cols < MIN_PARALLEL_WEIGHTS) {
            multiplyRows(x, y, 0, rows);
        } else {
            RowWorkers.forRows(rows, 16, (from, to) -> multiplyRows(x, y, from, to));
        }
    }

    /**
     * {@code x [T, cols] · Wᵀ + bias}: {@code [T, rows]}, one {@link Ops#linear} on PyTorch, for
     * the tensor path that runs without the vector kernel.
     *
     * @param bias {@code [rows]}, or null
     */
    public NDArray linear(NDArray x, NDArray bias) {
        return Ops.linear(x, weight, bias);
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
        if (kernel != Kernel.VECTOR) {
            throw new IllegalStateException("the products of several tokens in Java need the vector kernel");
        }
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
        float[] packed = packedTokens(tokens);
        int panels = (tokens + VectorKernel.TOKEN_PANEL - 1) / VectorKernel.TOKEN_PANEL;
        RowWorkers.forRows(panels, 1, (from, to) -> VectorKernel.packTokens(x, xStride, tokens, cols, packed, from, to));
        RowWorkers.forRows(rows, VectorKernel.ROW_BLOCK, (from, to) -> inParts(from, to,
                (part, first, partFrom, partTo) -> multiplyTokensInBlocks(part, partFrom, partTo, packed, tokens, bias,
                        y, first + partFrom)));
    }

    private float[] packedTokens(int tokens) {
        int panel = VectorKernel.TOKEN_PANEL;
        int size = (tokens + panel - 1) / panel * panel * cols;
        float[] packed = PACKED_TOKENS.get();
        if (packed.length < size) {
            packed = new float[size];
            PACKED_TOKENS.set(packed);
        }
        return packed;
    }

    /**
     * Rows {@code from .. to - 1} of {@code part} times the packed tokens, into {@code y} from
     * column {@code column}. Float32 rows are read in place; other formats are dequantized a
     * block of rows at a time into this thread's scratch, which stays in the core's cache while
     * every panel of tokens passes it. The scratch is native memory, as the mapped weights are:
     * the product kernel read a heap segment (a float array's) several times slower.
     */
    private void multiplyTokensInBlocks(WeightMatrix part, int from, int to, float[] packed, int tokens,
            float[] bias, float[] y, int column) {
        if (part.type() == GgmlType.F32) {
            VectorKernel.matMul(part.data(), cols, from, to, packed, tokens, bias, y, rows, column);
            return;
        }
        float[] scratch = dequantizedRows();
        MemorySegment block = nativeRows();
        for (int r = from; r < to; r += VectorKernel.ROW_BLOCK) {
            int n = Math.min(VectorKernel.ROW_BLOCK, to - r);
            for (int i = 0; i < n; i++) {
                part.dequantizeRow(r + i, scratch, i * cols);
            }
            MemorySegment.copy(scratch, 0, block, ValueLayout.JAVA_FLOAT, 0, n * cols);
            VectorKernel.matMul(block, cols, 0, n, packed, tokens, bias, y, rows, column + r - from);
        }
    }

    private MemorySegment nativeRows() {
        long size = (long) VectorKernel.ROW_BLOCK * cols * Float.BYTES;
        MemorySegment rowsScratch = NATIVE_ROWS.get();
        if (rowsScratch.byteSize() < size) {
            rowsScratch = Arena.ofAuto().allocate(size, 64);
            NATIVE_ROWS.set(rowsScratch);
        }
        return rowsScratch;
    }

    private float[] dequantizedRows() {
        int size = VectorKernel.ROW_BLOCK * cols;
        float[] rowsScratch = DEQUANTIZED_ROWS.get();
        if (rowsScratch.length < size) {
            rowsScratch = new float[size];
            DEQUANTIZED_ROWS.set(rowsScratch);
        }
        return rowsScratch;
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

    private void multiplyInTorch(float[] x, float[] y) {
        try (NDArray vector = weight.getManager().create(FloatBuffer.wrap(x, 0, cols), new Shape(cols))) {
            NDArray product = weight.matMul(vector);
            product.toByteBuffer(true).asFloatBuffer().get(0, y, 0, rows);
            product.close();
        }
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
