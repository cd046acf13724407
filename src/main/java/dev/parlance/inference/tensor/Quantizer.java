package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Float weights (a Hugging Face folder's F32, F16 or BF16 tensors) stored in one of ggml's formats
 * at load, so that a model runs in less memory: Q8_0, Q4_0 and Q4_K exactly as ggml's reference
 * quantizers write them ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref},
 * {@code quantize_row_q4_K_ref} in {@code ggml-quants.c}, the blocks {@code llama-quantize} writes
 * without an importance matrix), and F16, BF16 and F32 as plain conversions.
 *
 * <p>References: ggml's {@code ggml-quants.c} and {@code ggml-common.h} (block layouts);
 * PyTorch's {@code c10::detail::round_to_nearest_even} (BF16).
 */
public final class Quantizer {
    /** Bytes of blocks quantized before they are copied into the matrix's memory at once. */
    private static final int BATCH_BYTES = 4 << 20;

    private Quantizer() {}

    /** The rows of a float matrix, by index. */
    @FunctionalInterface
    public interface RowSource {
        /**
         * Writes row {@code row} to {@code into[0 .. cols - 1]}. Called once per row, in no
         * particular order and from several threads at once (each with its own {@code into}), so
         * an implementation must be safe to call concurrently for different rows.
         */
        void row(int row, float[] into);
    }

    /**
     * Quantizes a {@code rows x cols} matrix given row by row into {@code target}'s blocks, in
     * memory from {@code arena}. The rows are quantized in parallel on the common
     * {@link ForkJoinPool} (the calling thread takes part) and written to the matrix's memory by the
     * calling thread, so {@code arena} may be of any kind, confined ones included.
     *
     * @param target Q8_0, Q4_0, Q4_K, F16, BF16 or F32
     * @param source the rows, each asked for exactly once; see {@link RowSource#row}
     * @param arena owns the matrix's memory, {@code rows * target.bytesFor(cols)} bytes
     * @throws IllegalArgumentException when {@code cols} is not a multiple of {@code target}'s
     *     block size (ggml falls back to another type for such a matrix), or {@code target} is none
     *     of the types above
     */
    public static WeightMatrix quantize(GgmlType target, int rows, int cols, RowSource source, Arena arena) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(arena, "arena");
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("a matrix of " + rows + " x " + cols);
        }
        Supplier<RowEncoder> encoders = switch (target) {
            case F32 -> () -> Quantizer::f32;
            case F16 -> () -> Quantizer::f16;
            case BF16 -> () -> Quantizer::bf16;
            case Q8_0 -> () -> Quantizer::q80;
            case Q4_0 -> () -> Quantizer::q40;
            case Q4_K -> () -> new Q4KQuantizer()::encode;
            default -> throw new IllegalArgumentException("cannot quantize to " + target
                    + "; the targets are Q8_0, Q4_0, Q4_K, F16, BF16 and F32");
        };
        if (cols % target.blockSize() != 0) {
            throw new IllegalArgumentException(target + " stores rows in blocks of " + target.blockSize()
                    + " values; rows of " + cols + " are not a whole number of them");
        }
        int rowBytes = Math.toIntExact(target.bytesFor(cols));
        MemorySegment data = arena.allocate((long) rows * rowBytes, 64);
        int batchRows = Math.max(1, Math.min(rows, BATCH_BYTES / Math.max(1, rowBytes)));
        byte[] batch = new byte[Math.multiplyExact(batchRows, rowBytes)];
        int tasks = 4 * (ForkJoinPool.getCommonPoolParallelism() + 1);
        for (int first = 0; first < rows; first += batchRows) {
            int start = first;
            int count = Math.min(batchRows, rows - first);
            int parts = Math.min(count, tasks);
            IntStream.range(0, parts).parallel().forEach(part -> {
                float[] x = new float[cols];
                RowEncoder encoder = encoders.get();
                for (int r = part * count / parts; r < (part + 1) * count / parts; r++) {
                    source.row(start + r, x);
                    encoder.encode(x, batch, r * rowBytes);
                }
            });
            MemorySegment.copy(batch, 0, data, ValueLayout.JAVA_BYTE, (long) first * rowBytes, count * rowBytes);
        }
        return WeightMatrix.of(target, data, rows, cols);
    }

    /** Encodes one row; an instance may keep scratch space, so each thread has its own. */
    private interface RowEncoder {
        /** Writes the blocks of {@code x} (a whole row) to {@code into} from byte {@code at}. */
        void encode(float[] x, byte[] into, int at);
    }

    private static void f32(float[] x, byte[] into, int at) {
        for (float v : x) {
            int bits = Float.floatToRawIntBits(v);
            putShort(into, at, (short) bits);
            putShort(into, at + 2, (short) (bits >>> 16));
            at += 4;
        }
    }

    private static void f16(float[] x, byte[] into, int at) {
        for (float v : x) {
            putShort(into, at, Float.floatToFloat16(v));
            at += 2;
        }
    }

    /** Rounds to the nearest bfloat16, ties to even; every NaN becomes the quiet NaN 0x7FC0, as in PyTorch. */
    private static void bf16(float[] x, byte[] into, int at) {
        for (float v : x) {
            putShort(into, at, bfloat16(v));
            at += 2;
        }
    }

    static short bfloat16(float v) {
        if (Float.isNaN(v)) {
            return 0x7FC0;
        }
        int bits = Float.floatToRawIntBits(v);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** {@code quantize_row_q8_0_ref}: per 32 values {@code d = amax / 127}, {@code q = roundf(x / d)}. */
    private static void q80(float[] x, byte[] into, int at) {
        for (int b = 0; b < x.length; b += 32, at += 34) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                float a = Math.abs(x[b + j]);
                amax = amax > a ? amax : a;
            }
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            putShort(into, at, Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                into[at + 2 + j] = (byte) roundHalfAway(x[b + j] * id);
            }
        }
    }

    /**
     * {@code quantize_row_q4_0_ref}: per 32 values, {@code d = max / -8} with {@code max} the first
     * value of greatest magnitude (so it stores exactly as -8), {@code q = min(15, trunc(x / d + 8.5))}.
     */
    private static void q40(float[] x, byte[] into, int at) {
        for (int b = 0; b < x.length; b += 32, at += 18) {
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[b + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1 / d : 0;
            putShort(into, at, Float.floatToFloat16(d));
            for (int j = 0; j < 16; j++) {
                int low = Math.min(15, (int) (x[b + j] * id + 8.5f));
                int high = Math.min(15, (int) (x[b + 16 + j] * id + 8.5f));
                into[at + 2 + j] = (byte) (low | high << 4);
            }
        }
    }

    /** C's {@code roundf}: to the nearest integer, halves away from zero (the sum is exact in double). */
    private static int roundHalfAway(float v) {
        return (int) (v + Math.copySign(0.5, v));
    }

    static void putShort(byte[] into, int at, short value) {
        into[at] = (byte) value;
        into[at + 1] = (byte) (value >> 8);
    }
}
