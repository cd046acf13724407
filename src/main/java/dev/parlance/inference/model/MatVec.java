package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A weight matrix {@code [rows, cols]} ready for one-token products {@code y = W · x}, computed on
 * the tensor's own memory. With the {@code jdk.incubator.vector} module (the launcher scripts add
 * it) the product is {@link VectorKernel}'s, its rows split over the compute threads by
 * {@link RowWorkers}; without it, PyTorch's.
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
    /** A buffer is indexed by int: a larger matrix is read as several blocks of rows. */
    private static final long MAX_BLOCK_BYTES = 1L << 30;
    /** Below this many weights a product is not worth splitting over threads. */
    private static final long MIN_PARALLEL_WEIGHTS = 1 << 16;

    private final NDArray weight;
    private final Kernel kernel;
    private final int rows;
    private final int cols;
    private final int blockRows;
    private final ByteBuffer[] blocks;

    private MatVec(NDArray weight, Kernel kernel) {
        this(weight, kernel, MAX_BLOCK_BYTES);
    }

    /** With blocks of at most {@code maxBlockBytes}: tests split small matrices into several. */
    MatVec(NDArray weight, Kernel kernel, long maxBlockBytes) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("a matrix-vector product needs a matrix, not " + shape);
        }
        this.weight = weight;
        this.kernel = kernel;
        this.rows = Math.toIntExact(shape.get(0));
        this.cols = Math.toIntExact(shape.get(1));
        this.blockRows = (int) Math.max(1, Math.min(rows, maxBlockBytes / ((long) cols * Float.BYTES)));
        if (kernel == Kernel.VECTOR) {
            WarmKernels.ensure();
        }
        this.blocks = new ByteBuffer[kernel == Kernel.VECTOR ? (rows + blockRows - 1) / blockRows : 0];
        for (int b = 0; b < blocks.length; b++) {
            long from = (long) b * blockRows;
            NDArray block = blocks.length == 1 ? weight : Ops.slice(weight, 0, from, Math.min(rows, from + blockRows));
            blocks[b] = block.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
        }
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

    /** Copies row {@code row} into {@code into[0 .. cols - 1]}. */
    public void copyRow(int row, float[] into) {
        if (kernel == Kernel.TORCH) {
            Ops.read(weight.get(row), into);
            return;
        }
        int block = row / blockRows;
        blocks[block].asFloatBuffer().get((row - block * blockRows) * cols, into, 0, cols);
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

    private void multiplyRows(float[] x, float[] y, int from, int to) {
        for (int row = from; row < to; ) {
            int block = row / blockRows;
            int blockEnd = Math.min(to, (block + 1) * blockRows);
            int first = block * blockRows;
            VectorKernel.rows(blocks[block], cols, x, row - first, blockEnd - first, y, row);
            row = blockEnd;
        }
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
