package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;

/**
 * How long {@link Quantizer#quantize} takes for a {@code 2048 x 8192} matrix of Gaussian values
 * (rows copied from memory), per target type: the best of five runs after two warm-ups.
 *
 * <p>Run: {@code mvn -q test-compile} and then
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * dev.parlance.inference.tensor.QuantizerBench [TYPE ...]}.
 */
public final class QuantizerBench {
    private static final int ROWS = 2048;
    private static final int COLS = 8192;

    private QuantizerBench() {}

    public static void main(String[] args) {
        GgmlType[] types = args.length == 0
                ? new GgmlType[] {GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K}
                : Arrays.stream(args).map(GgmlType::valueOf).toArray(GgmlType[]::new);
        Random random = new Random(11);
        float[][] rows = new float[64][COLS];
        for (float[] row : rows) {
            for (int c = 0; c < COLS; c++) {
                row[c] = (float) (random.nextGaussian() * 0.02);
            }
        }
        Quantizer.RowSource source = (r, into) -> System.arraycopy(rows[r % rows.length], 0, into, 0, COLS);
        System.out.printf("%d x %d, common pool parallelism %d%n", ROWS, COLS, ForkJoinPool.getCommonPoolParallelism());
        for (GgmlType type : types) {
            long best = Long.MAX_VALUE;
            for (int run = 0; run < 7; run++) {
                try (Arena arena = Arena.ofConfined()) {
                    long start = System.nanoTime();
                    Quantizer.quantize(type, ROWS, COLS, source, arena);
                    long time = System.nanoTime() - start;
                    if (run >= 2) {
                        best = Math.min(best, time);
                    }
                }
            }
            System.out.printf("%-5s %7.1f ms%n", type, best / 1e6);
        }
    }
}
