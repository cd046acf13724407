package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.SafeTensors.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Named, shape-checked float32 weights in a model-lifetime {@link NDManager}. Float32 tensors are
 * used straight from the memory-mapped file (no copy); F16 and BF16 are widened to float32 in
 * chunks while loading, because float32 is the only fast compute type on CPU here (and creating a
 * BF16 array aborts the JVM with DJL 0.36). Several tensors can be stacked row-wise into one, so
 * that, for example, q, k and v become one matrix product.
 */
public final class Weights {
    private static final int CHUNK = 1 << 20;

    private final SafeTensors files;
    private final NDManager manager;

    public Weights(SafeTensors files, NDManager manager) {
        this.files = files;
        this.manager = manager;
    }

    public boolean has(String name) {
        return files.contains(name);
    }

    /** The tensor {@code name}, which must have exactly {@code expectedShape}. */
    public NDArray get(String name, long... expectedShape) throws ModelLoadException {
        TensorInfo info = info(name, expectedShape);
        if (info.dtype() == SafeTensors.DType.F32) {
            return manager.create(SafeTensors.map(info), new Shape(expectedShape), DataType.FLOAT32);
        }
        return stackRows(List.of(name), List.of(expectedShape));
    }

    /**
     * The named 2-D (or 1-D) tensors stacked along their first dimension into one new float32
     * array: {@code [sum of rows, cols]}.
     */
    public NDArray stackRows(List<String> names, List<long[]> expectedShapes) throws ModelLoadException {
        long rows = 0;
        long[] first = expectedShapes.get(0);
        for (long[] shape : expectedShapes) {
            rows += shape[0];
        }
        long[] stacked = first.clone();
        stacked[0] = rows;
        NDArray out = manager.create(new Shape(stacked), DataType.FLOAT32);
        FloatBuffer target = out.toByteBuffer(true).asFloatBuffer();
        for (int i = 0; i < names.size(); i++) {
            TensorInfo info = info(names.get(i), expectedShapes.get(i));
            readAsFloat(info, target);
        }
        return out;
    }

    private TensorInfo info(String name, long[] expectedShape) throws ModelLoadException {
        TensorInfo info = files.tensors().get(name);
        if (info == null) {
            throw new ModelLoadException(null, "the weights have no tensor named " + name);
        }
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new ModelLoadException(info.file(), "tensor " + name + " has shape "
                    + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(expectedShape));
        }
        return info;
    }

    /** Appends the tensor's values to {@code target} as float32, a chunk at a time. */
    private static void readAsFloat(TensorInfo info, FloatBuffer target) throws ModelLoadException {
        ByteBuffer source = SafeTensors.map(info);
        switch (info.dtype()) {
            case F32:
                target.put(source.asFloatBuffer());
                break;
            case BF16:
                widen(source.asShortBuffer(), target, true);
                break;
            case F16:
                widen(source.asShortBuffer(), target, false);
                break;
            default:
                throw new IllegalStateException(info.dtype().toString());
        }
    }

    private static void widen(ShortBuffer source, FloatBuffer target, boolean bfloat16) {
        short[] in = new short[Math.min(CHUNK, source.remaining())];
        float[] out = new float[in.length];
        while (source.hasRemaining()) {
            int n = Math.min(in.length, source.remaining());
            source.get(in, 0, n);
            for (int i = 0; i < n; i++) {
                out[i] = bfloat16 ? Float.intBitsToFloat((in[i] & 0xffff) << 16) : halfToFloat(in[i]);
            }
            target.put(out, 0, n);
        }
    }

    /** IEEE 754 binary16 to float32, including subnormals, infinities and NaN. */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
