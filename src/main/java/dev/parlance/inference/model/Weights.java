package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.SafeTensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
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
    // conversion buffers, reused for every tensor so loading makes no garbage that grows the heap
    private final ByteBuffer chunk = ByteBuffer.allocate(2 * CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private final short[] halves = new short[CHUNK];
    private final float[] floats = new float[CHUNK];

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
        for (long[] shape : expectedShapes) {
            rows += shape[0];
        }
        long[] stacked = expectedShapes.get(0).clone();
        stacked[0] = rows;
        NDArray out = manager.create(new Shape(stacked), DataType.FLOAT32);
        ByteBuffer target = out.toByteBuffer(true);
        for (int i = 0; i < names.size(); i++) {
            readAsFloat(info(names.get(i), expectedShapes.get(i)), target);
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

    /**
     * Writes the tensor's values as float32 at {@code target}'s position and advances it. The file
     * is read, not mapped, so a copied tensor occupies memory once rather than also as mapped pages.
     */
    private void readAsFloat(TensorInfo info, ByteBuffer target) throws ModelLoadException {
        try (FileChannel channel = FileChannel.open(info.file(), StandardOpenOption.READ)) {
            if (info.dtype() == SafeTensors.DType.F32) {
                readFully(channel, target.slice().limit((int) info.length()), info.offset());
                target.position(target.position() + (int) info.length());
                return;
            }
            boolean bfloat16 = info.dtype() == SafeTensors.DType.BF16;
            long position = info.offset();
            long end = info.offset() + info.length();
            while (position < end) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), end - position));
                readFully(channel, chunk, position);
                position += chunk.limit();
                int n = chunk.limit() / 2;
                chunk.flip().asShortBuffer().get(halves, 0, n);
                for (int i = 0; i < n; i++) {
                    floats[i] = bfloat16 ? Float.intBitsToFloat((halves[i] & 0xffff) << 16) : halfToFloat(halves[i]);
                }
                target.asFloatBuffer().put(floats, 0, n);
                target.position(target.position() + n * Float.BYTES);
            }
        } catch (IOException e) {
            throw new ModelLoadException(info.file(), "cannot read tensor " + info.name() + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw new IOException("unexpected end of file");
            }
            at += read;
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
