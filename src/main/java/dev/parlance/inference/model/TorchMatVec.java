package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;

/**
 * A float32 weight matrix {@code [rows, cols]} multiplied by PyTorch: one token's product
 * {@code y = W · x} and a prompt's {@code x · Wᵀ + bias} on tensors, on PyTorch's own threads.
 * The path of a model that runs without Java's Vector API ({@link MatVec} otherwise).
 */
public final class TorchMatVec {
    private final NDArray weight;
    private final int rows;
    private final int cols;

    /** {@code weight}, row-major float32 {@code [rows, cols]}; not copied. */
    public TorchMatVec(NDArray weight) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("a matrix-vector product needs a matrix, not " + shape);
        }
        this.weight = weight;
        this.rows = Math.toIntExact(shape.get(0));
        this.cols = Math.toIntExact(shape.get(1));
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** {@code y[0 .. rows - 1] = W · x[0 .. cols - 1]}. */
    public void multiply(float[] x, float[] y) {
        if (x.length < cols || y.length < rows) {
            throw new IllegalArgumentException("x needs " + cols + " values and y room for " + rows);
        }
        try (NDArray vector = weight.getManager().create(FloatBuffer.wrap(x, 0, cols), new Shape(cols))) {
            NDArray product = weight.matMul(vector);
            product.toByteBuffer(true).asFloatBuffer().get(0, y, 0, rows);
            product.close();
        }
    }

    /**
     * {@code x [T, cols] · Wᵀ + bias}: {@code [T, rows]}, one {@link Ops#linear}.
     *
     * @param bias {@code [rows]}, or null
     */
    public NDArray linear(NDArray x, NDArray bias) {
        return Ops.linear(x, weight, bias);
    }
}
