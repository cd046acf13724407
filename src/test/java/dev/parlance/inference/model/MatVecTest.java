package dev.parlance.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Matrix products of one token and of many against a double-precision reference. */
class MatVecTest {
    private NDManager manager;
    private Compute compute;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        compute = new Compute(Compute.defaultThreads());
    }

    @AfterEach
    void close() {
        compute.close();
        manager.close();
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "3, 17", "5, 64", "37, 100", "130, 576", "300, 1000", "64, 2049"})
    void bothKernelsComputeTheProductOfEveryShape(int rows, int cols) {
        float[][] w = random(rows, cols, 1);
        float[] x = random(1, cols, 2)[0];
        float[] y = new float[rows];
        MatVec.stacked(compute, f32(w, rows)).multiply(x, y);
        assertThat(y).as("vector").containsExactly(reference(w, x), within(1e-4f));
        float[] onTorch = new float[rows];
        new TorchMatVec(manager.create(w)).multiply(x, onTorch);
        assertThat(onTorch).as("torch").containsExactly(reference(w, x), within(1e-4f));
    }

    @Test
    void theVectorKernelIsTheOneHereSinceTheTestsRunWithTheModule() {
        assertThat(MatVec.Kernel.best()).isEqualTo(MatVec.Kernel.VECTOR);
    }

    @Test
    void aMatrixReadInSeveralBlocksGivesTheSameProductAndRows() {
        int rows = 50;
        int cols = 40;
        float[][] w = random(rows, cols, 3);
        float[] x = random(1, cols, 4)[0];
        MatVec blocks = MatVec.stacked(compute, f32(w, 7)); // 8 blocks
        float[] y = new float[rows];
        blocks.multiply(x, y);
        assertThat(y).containsExactly(reference(w, x), within(1e-4f));
        float[] row = new float[cols + 3];
        for (int r : new int[] {0, 6, 7, 48, 49}) {
            blocks.copyRow(r, row, 3);
            assertThat(Arrays.copyOfRange(row, 3, cols + 3)).as("row %d", r).containsExactly(w[r]);
        }
        assertThat(Arrays.copyOf(row, 3)).containsOnly(0f);
    }

    @Test
    void rowsSplitOverThreeThreadsGiveTheProductOfOne() {
        float[][] w = random(1001, 300, 5);
        float[] x = random(1, 300, 6)[0];
        MatVec product = MatVec.stacked(compute, f32(w, 1001));
        compute.useThreads(1);
        float[] one = new float[1001];
        product.multiply(x, one);
        compute.useThreads(3);
        float[] three = new float[1001];
        for (int i = 0; i < 50; i++) {
            product.multiply(x, three);
            // equal up to the order in which a vector's lanes are summed, which differs between
            // the Vector API's interpreted and JIT-compiled reductions
            for (int r = 0; r < one.length; r++) {
                assertThat(three[r]).as("row %d, run %d", r, i).isCloseTo(one[r], within(1e-5f * Math.max(1, Math.abs(one[r]))));
            }
        }
        assertThat(one).containsExactly(reference(w, x), within(1e-4f));
    }

    @Test
    void aFailureInAHelpersShareReachesTheCallerAndTheWorkersCarryOn() {
        compute.useThreads(2);
        assertThatThrownBy(() -> compute.forRows(100, 1, (scratch, from, to) -> {
            if (from > 0) {
                throw new IllegalStateException("share from " + from);
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("share from 50");
        AtomicInteger done = new AtomicInteger();
        compute.forRows(100, 1, (scratch, from, to) -> done.addAndGet(to - from));
        assertThat(done).hasValue(100);
    }

    @Test
    void twoModelsComputingAtOnceOnThreadsOfTheirOwnEachGetTheirProducts() throws Exception {
        float[][] w = random(257, 96, 14);
        float[][] x = random(40, 96, 15);
        float[] expected = reference(w, x, null);
        try (Compute other = new Compute(3)) {
            compute.useThreads(2);
            List<CompletableFuture<float[]>> runs = new ArrayList<>();
            for (Compute each : List.of(compute, other)) {
                MatVec product = MatVec.stacked(each, f32(w, 257));
                runs.add(CompletableFuture.supplyAsync(() -> {
                    float[] y = null;
                    for (int i = 0; i < 30; i++) {
                        y = multiplyTokens(product, x, 96, null, 257);
                    }
                    return y;
                }));
            }
            for (CompletableFuture<float[]> run : runs) {
                assertThat(run.get()).containsExactly(expected, within(1e-4f));
            }
            assertThat(compute.threads()).isEqualTo(2);
            assertThat(other.threads()).isEqualTo(3);
        }
    }

    @Test
    void aVectorOfTheWrongLengthIsRefused() {
        MatVec product = MatVec.stacked(compute, f32(random(4, 8, 16), 4));
        assertThatThrownBy(() -> product.multiply(new float[7], new float[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x needs 8 values");
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 1", "1, 7, 5", "5, 13, 17", "32, 48, 64", "33, 50, 100", "70, 97, 33", "100, 1, 576"})
    void theProductsOfEveryNumberOfTokensAreTheProductsOfEachToken(int tokens, int rows, int cols) {
        float[][] w = random(rows, cols, 7);
        float[][] x = random(tokens, cols, 8);
        float[] bias = random(1, rows, 9)[0];
        MatVec product = MatVec.stacked(compute, f32(w, rows));
        assertThat(multiplyTokens(product, x, cols, null, rows)).containsExactly(reference(w, x, null), within(1e-4f));
        assertThat(multiplyTokens(product, x, cols, bias, rows)).containsExactly(reference(w, x, bias), within(1e-4f));
        TorchMatVec onTorch = new TorchMatVec(manager.create(w));
        assertThat(onTorch.linear(manager.create(x), manager.create(bias)).toFloatArray())
                .containsExactly(reference(w, x, bias), within(1e-4f));
    }

    @Test
    void tokensSpacedWiderThanTheirWidthGiveTheProductOfTheirValues() {
        float[][] w = random(20, 30, 10);
        float[][] x = random(9, 30, 11);
        assertThat(multiplyTokens(MatVec.stacked(compute, f32(w, 20)), x, 47, null, 20))
                .containsExactly(reference(w, x, null), within(1e-4f));
    }

    @Test
    void theTokensOfAMatrixInSeveralBlocksAndOnThreeThreadsGiveTheProductOfOne() {
        int rows = 301;
        int cols = 40;
        float[][] w = random(rows, cols, 12);
        float[][] x = random(45, cols, 13);
        compute.useThreads(1);
        float[] one = multiplyTokens(MatVec.stacked(compute, f32(w, rows)), x, cols, null, rows);
        assertThat(one).containsExactly(reference(w, x, null), within(1e-4f));
        compute.useThreads(3);
        MatVec blocks = MatVec.stacked(compute, f32(w, 50)); // 7 blocks
        assertThat(multiplyTokens(blocks, x, cols, null, rows)).containsExactly(one);
    }

    @Test
    void tokensThatDoNotFillTheirArraysAreRefused() {
        MatVec product = MatVec.stacked(compute, f32(random(4, 8, 17), 4));
        assertThatThrownBy(() -> product.multiplyTokens(new float[23], 8, 3, null, new float[12]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x needs 3 rows of 8 values");
        assertThatThrownBy(() -> product.multiplyTokens(new float[24], 8, 3, null, new float[11]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y room for 3 of 4");
    }

    /** {@code w} as float32 matrices of at most {@code partRows} rows each, in native memory, to stack. */
    private static WeightMatrix[] f32(float[][] w, int partRows) {
        int cols = w[0].length;
        WeightMatrix[] parts = new WeightMatrix[(w.length + partRows - 1) / partRows];
        for (int p = 0; p < parts.length; p++) {
            int rows = Math.min(partRows, w.length - p * partRows);
            MemorySegment data = Arena.ofAuto().allocate((long) rows * cols * Float.BYTES, 64);
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(w[p * partRows + r], 0, data, ValueLayout.JAVA_FLOAT, (long) r * cols * Float.BYTES,
                        cols);
            }
            parts[p] = WeightMatrix.of(GgmlType.F32, data, rows, cols);
        }
        return parts;
    }

    /** {@link MatVec#multiplyTokens} of {@code x}'s rows laid out {@code xStride} apart. */
    private static float[] multiplyTokens(MatVec product, float[][] x, int xStride, float[] bias, int rows) {
        float[] flat = new float[x.length * xStride];
        for (int t = 0; t < x.length; t++) {
            System.arraycopy(x[t], 0, flat, t * xStride, x[t].length);
        }
        float[] y = new float[x.length * rows];
        product.multiplyTokens(flat, xStride, x.length, bias, y);
        return y;
    }

    static float[][] random(int rows, int cols, long seed) {
        Random random = new Random(seed);
        float[][] values = new float[rows][cols];
        for (float[] row : values) {
            for (int c = 0; c < cols; c++) {
                row[c] = random.nextFloat() * 2 - 1;
            }
        }
        return values;
    }

    private static float[] reference(float[][] w, float[] x) {
        float[] y = new float[w.length];
        for (int r = 0; r < w.length; r++) {
            double sum = 0;
            for (int c = 0; c < x.length; c++) {
                sum += (double) w[r][c] * x[c];
            }
            y[r] = (float) sum;
        }
        return y;
    }

    /** {@code x · wᵀ + bias}, row-major {@code [tokens, rows]}. */
    private static float[] reference(float[][] w, float[][] x, float[] bias) {
        float[] y = new float[x.length * w.length];
        for (int t = 0; t < x.length; t++) {
            float[] row = reference(w, x[t]);
            for (int r = 0; r < w.length; r++) {
                y[t * w.length + r] = row[r] + (bias == null ? 0 : bias[r]);
            }
        }
        return y;
    }
}
