package dev.parlance.inference.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The products against the dot products, in double, of the rows as {@link WeightMatrix#dequantizeRow}
 * gives them (which {@link WeightMatrixDequantizeTest} checks against gguf-py), within 1e-5 of the
 * sum of the products' magnitudes: the sums run in another order, in float.
 */
class WeightMatrixMultiplyTest {
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ROWS = 11;

    @ParameterizedTest
    @CsvSource({"F32, 1", "F32, 7", "F32, 33", "F32, 100", "F16, 1", "F16, 9", "F16, 31", "F16, 100",
            "BF16, 3", "BF16, 17", "BF16, 64", "Q8_0, 1", "Q8_0, 3", "Q8_0, 8", "Q8_0, 17", "Q4_0, 1", "Q4_0, 3",
            "Q4_0, 17", "Q4_1, 1", "Q4_1, 5", "Q5_0, 1", "Q5_0, 3", "Q5_0, 17", "Q5_1, 1", "Q5_1, 6",
            "Q4_K, 1", "Q4_K, 2", "Q4_K, 3", "Q5_K, 1", "Q5_K, 3", "Q6_K, 1", "Q6_K, 2", "Q6_K, 3"})
    void everyRangeOfRowsTimesXIsTheDotProductOfTheDequantizedRows(GgmlType type, int blocks) {
        int cols = blocks * type.blockSize();
        Random random = new Random(31L * type.ordinal() + blocks);
        WeightMatrix matrix = WeightMatrix.of(type, randomRows(type, ROWS, cols, random), ROWS, cols);
        float[] x = new float[cols + 5]; // values beyond cols must not be read
        for (int c = 0; c < x.length; c++) {
            x[c] = c < cols ? (float) random.nextGaussian() : Float.NaN;
        }
        double[] exact = new double[ROWS];
        double[] magnitude = new double[ROWS];
        float[] row = new float[cols];
        for (int r = 0; r < ROWS; r++) {
            matrix.dequantizeRow(r, row, 0);
            for (int c = 0; c < cols; c++) {
                exact[r] += (double) row[c] * x[c];
                magnitude[r] += Math.abs((double) row[c] * x[c]);
            }
        }

        for (int from = 0; from <= ROWS; from++) {
            for (int to = from; to <= ROWS; to++) {
                float[] y = new float[to - from + 4];
                Arrays.fill(y, -7);
                matrix.multiplyRows(x, from, to, y, 2);
                for (int r = from; r < to; r++) {
                    assertThat((double) y[2 + r - from])
                            .as("%s, %d columns, rows %d..%d, row %d", type, cols, from, to, r)
                            .isCloseTo(exact[r], within(1e-5 * magnitude[r] + 1e-30));
                }
                assertThat(y).as("outside the range").startsWith(-7, -7).endsWith(-7, -7);
            }
        }
    }

    @Test
    void halfInfinitiesAndNansReachTheProduct() {
        MemorySegment data = MemorySegment.ofArray(new byte[2 * 16]);
        for (int c = 0; c < 16; c++) {
            data.set(SHORT, 2L * c, Float.floatToFloat16(c == 5 ? Float.POSITIVE_INFINITY : 1));
        }
        WeightMatrix matrix = WeightMatrix.of(GgmlType.F16, data, 1, 16);
        float[] y = new float[1];
        float[] x = new float[16];
        Arrays.fill(x, 1);

        matrix.multiplyRows(x, 0, 1, y, 0);
        assertThat(y[0]).isEqualTo(Float.POSITIVE_INFINITY);

        data.set(SHORT, 10, (short) 0x7e01);
        matrix.multiplyRows(x, 0, 1, y, 0);
        assertThat(y[0]).isNaN();
    }

    /** Rows of 96 halves, whose first 64 the kernel reads a vector at a time: each column, even and odd. */
    @ParameterizedTest
    @CsvSource({"0", "1", "17", "30", "31", "32", "63", "64", "95"})
    void halfInfinitiesAndNansAnywhereInARowReachTheProduct(int column) {
        MemorySegment data = MemorySegment.ofArray(new byte[2 * 96 * 2]);
        for (int c = 0; c < 2 * 96; c++) {
            data.set(SHORT, 2L * c, Float.floatToFloat16(c == column ? Float.NEGATIVE_INFINITY : 0.5f));
        }
        WeightMatrix matrix = WeightMatrix.of(GgmlType.F16, data, 2, 96);
        float[] x = new float[96];
        Arrays.fill(x, 1);
        float[] y = new float[2];

        matrix.multiplyRows(x, 0, 2, y, 0);
        assertThat(y).containsExactly(Float.NEGATIVE_INFINITY, 48);

        data.set(SHORT, 2L * column, (short) 0xfc01);
        matrix.multiplyRows(x, 0, 2, y, 0);
        assertThat(y[0]).isNaN();
        assertThat(y[1]).isEqualTo(48);
    }

    @Test
    void columnsThatAreNoWholeNumberOfBlocksAreRefused() {
        MemorySegment data = MemorySegment.ofArray(new byte[1024]);
        assertThatThrownBy(() -> WeightMatrix.of(GgmlType.Q4_K, data, 1, 128))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_K");
    }

    @Test
    void dataShorterThanTheRowsIsRefused() {
        MemorySegment data = MemorySegment.ofArray(new byte[34 * 4 - 1]);
        assertThatThrownBy(() -> WeightMatrix.of(GgmlType.Q8_0, data, 2, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("136");
    }

    @Test
    void aTypeTheEngineDoesNotComputeWithIsUnsupported() {
        MemorySegment data = MemorySegment.ofArray(new byte[1024]);
        assertThatThrownBy(() -> WeightMatrix.of(GgmlType.Q3_K, data, 1, 256))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("Q3_K");
    }

    /**
     * Random rows: random bytes, with every fp16 scale a finite value of either sign between 1e-4
     * and 10; float types hold finite values over most of their range, F16 its subnormals too.
     */
    static MemorySegment randomRows(GgmlType type, int rows, int cols, Random random) {
        byte[] bytes = new byte[Math.toIntExact(rows * type.bytesFor(cols))];
        random.nextBytes(bytes);
        MemorySegment data = MemorySegment.ofArray(bytes);
        int[] halves = switch (type) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
        for (long block = 0; block < bytes.length; block += type.blockBytes()) {
            for (int at : halves) {
                float scale = (float) (Math.exp(Math.log(1e-4) + random.nextDouble() * Math.log(1e5))
                        * (random.nextBoolean() ? 1 : -1));
                data.set(SHORT, block + at, Float.floatToFloat16(scale));
            }
        }
        for (long at = 0; at < bytes.length; at += 2) {
            short bits = data.get(SHORT, at);
            switch (type) {
                case F16 -> data.set(SHORT, at, (short) ((bits & 0x7c00) == 0x7c00 ? bits & ~0x4000 : bits));
                case BF16 -> data.set(SHORT, at, (short) (bits & ~0x4000)); // |value| below 2^1
                case F32 -> {
                    if (at % 4 == 0) {
                        data.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at,
                                (float) (random.nextGaussian() * Math.exp(random.nextGaussian() * 5)));
                    }
                }
                default -> { }
            }
        }
        return data;
    }
}
