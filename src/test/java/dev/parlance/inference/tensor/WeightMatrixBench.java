package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * The products' speed on one thread, in GB/s of weight bytes read: {@code 2048 x 8192} matrices,
 * as many copies as fill about 512 MB so that they are read from memory, not the caches; also per
 * second of the thread's CPU time, which other processes on a busy machine disturb less; and
 * {@link WeightMatrix#dequantizeRow}'s, row after row, per second of CPU time. Before
 * timing, the compiled kernels' results are checked against the dequantized rows in double.
 *
 * <p>Run: {@code mvn -q test-compile} and then
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * dev.parlance.inference.tensor.WeightMatrixBench [TYPE ...]}.
 */
public final class WeightMatrixBench {
    private static final int ROWS = 2048;
    private static final int COLS = 8192;
    private static final long TOTAL = 512L << 20;

    private WeightMatrixBench() {}

    public static void main(String[] args) {
        GgmlType[] types = args.length == 0
                ? new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
                    GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}
                : java.util.Arrays.stream(args).map(GgmlType::valueOf).toArray(GgmlType[]::new);
        System.out.printf("float vectors of %d lanes%n", WeightMatrix.L);
        for (GgmlType type : types) {
            run(type);
        }
    }

    private static void run(GgmlType type) {
        Random random = new Random(7);
        long bytes = ROWS * type.bytesFor(COLS);
        int copies = (int) Math.max(1, TOTAL / bytes);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(bytes * copies, 64);
            MemorySegment one = WeightMatrixMultiplyTest.randomRows(type, ROWS, COLS, random);
            WeightMatrix[] matrices = new WeightMatrix[copies];
            for (int i = 0; i < copies; i++) {
                MemorySegment copy = all.asSlice(i * bytes, bytes);
                copy.copyFrom(one);
                matrices[i] = WeightMatrix.of(type, copy, ROWS, COLS);
            }
            float[] x = new float[COLS];
            for (int c = 0; c < COLS; c++) {
                x[c] = (float) random.nextGaussian();
            }
            float[] y = new float[ROWS];
            for (int i = 0; i < 3 * copies + 20; i++) {
                matrices[i % copies].multiplyRows(x, 0, ROWS, y, 0);
            }
            check(matrices[0], x, y);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            int passes = 0;
            long start = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            long elapsed;
            do {
                matrices[passes % copies].multiplyRows(x, 0, ROWS, y, 0);
                passes++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < 3_000_000_000L || passes < copies);
            long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
            float[] row = new float[COLS];
            int dequantized = 0;
            long dequantizeStart = threads.getCurrentThreadCpuTime();
            long dequantizeCpu;
            do {
                WeightMatrix matrix = matrices[dequantized / ROWS % copies];
                matrix.dequantizeRow(dequantized % ROWS, row, 0);
                dequantized++;
                dequantizeCpu = threads.getCurrentThreadCpuTime() - dequantizeStart;
            } while (dequantizeCpu < 1_000_000_000L);
            System.out.printf("%-5s %6.2f GB/s  %6.2f GB/s of CPU time  %6.2f ms per matrix of %.1f MB;"
                    + "  dequantizeRow %6.2f GB/s of CPU time%n", type, (double) bytes * passes / elapsed,
                    (double) bytes * passes / cpu, elapsed / 1e6 / passes, bytes / 1e6,
                    (double) bytes / ROWS * dequantized / dequantizeCpu);
        }
    }

    private static void check(WeightMatrix matrix, float[] x, float[] y) {
        matrix.multiplyRows(x, 0, ROWS, y, 0);
        float[] row = new float[COLS];
        for (int r = 0; r < ROWS; r += 97) {
            matrix.dequantizeRow(r, row, 0);
            double exact = 0;
            double magnitude = 0;
            for (int c = 0; c < COLS; c++) {
                exact += (double) row[c] * x[c];
                magnitude += Math.abs((double) row[c] * x[c]);
            }
            if (Math.abs(y[r] - exact) > 1e-5 * magnitude) {
                throw new AssertionError(matrix.type() + " row " + r + ": " + y[r] + ", expected " + exact);
            }
        }
    }
}
