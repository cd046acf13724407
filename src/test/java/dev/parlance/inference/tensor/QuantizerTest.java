package dev.parlance.inference.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parlance.inference.gguf.GgmlType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Quantizer} against ggml's reference quantizers (built from {@code ggml-quants.c}), numpy's
 * float16 and torch's bfloat16, bit for bit, on the rows {@code quantizer/make_quantized.py} made;
 * and the dequantized rows against the input, within each format's error bound.
 */
class QuantizerTest {
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ROWS = 16;
    private static final int COLS = 512;
    private static final int STRESS_ROWS = 256;
    private static final int STRESS_COLS = 4096;
    /** fp16's relative rounding error for normal numbers. */
    private static final double HALF_EPS = 0x1p-11;

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "F16", "BF16"})
    void everyRowQuantizesToTheReferenceBlocks(GgmlType type) {
        float[][] input = floats(resource("input.f32"), ROWS, COLS);
        byte[] expected = resource(type + ".blocks");
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = Quantizer.quantize(type, ROWS, COLS, copying(input), arena);

            assertThat(matrix.type()).isEqualTo(type);
            int rowBytes = (int) type.bytesFor(COLS);
            assertThat(expected).hasSize(ROWS * rowBytes);
            byte[] actual = matrix.data().asSlice(0, expected.length).toArray(ValueLayout.JAVA_BYTE);
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).as("%s row %d, byte %d of the row (block %d)", type, i / rowBytes, i % rowBytes,
                        i % rowBytes / type.blockBytes()).isEqualTo(expected[i]);
            }
        }
    }

    /**
     * A million values (4096 Q4_K blocks), compared by digest: rare paths of make_qkx2_quants (such
     * as the last of its 21 candidate scales winning) show only in that many blocks.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "F16", "BF16"})
    void manyGeneratedRowsQuantizeToTheReferenceDigest(GgmlType type) throws NoSuchAlgorithmException {
        String expected = new String(resource("digests.txt"), StandardCharsets.UTF_8).lines()
                .filter(line -> line.startsWith(type + " ")).findFirst().orElseThrow()
                .substring(type.name().length() + 1);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = Quantizer.quantize(type, STRESS_ROWS, STRESS_COLS, QuantizerTest::stressRow, arena);

            byte[] digest = MessageDigest.getInstance("SHA-256").digest(
                    matrix.data().asSlice(0, STRESS_ROWS * type.bytesFor(STRESS_COLS)).toArray(ValueLayout.JAVA_BYTE));
            assertThat(HexFormat.of().formatHex(digest)).isEqualTo(expected);
        }
    }

    /** NaN only has to stay NaN: torch's vectorised conversion makes 0xFFFF of it, its scalar one 0x7FC0. */
    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16"})
    void conversionsRoundSpecialValuesAsNumpyAndTorchDo(GgmlType type) {
        float[] special = floats(resource("special.f32"), 1, 64)[0];
        MemorySegment expected = MemorySegment.ofArray(resource("special." + type + ".blocks"));
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = Quantizer.quantize(type, 1, 64, copying(new float[][] {special}), arena);

            for (int i = 0; i < 64; i++) {
                short want = expected.getAtIndex(SHORT, i);
                short got = matrix.data().getAtIndex(SHORT, i);
                if (Float.isNaN(special[i])) {
                    assertThat(decode(type, got)).as("%s of NaN", type).isNaN();
                } else {
                    assertThat(got).as("%s of %s (bits %08x): %04x, expected %04x", type, special[i],
                            Float.floatToRawIntBits(special[i]), got, want).isEqualTo(want);
                }
            }
        }
    }

    @Test
    void q80ValuesComeBackWithinHalfAStepPlusTheRoundingOfTheScale() {
        float[][] x = gaussianRows(64, 1024, 1);
        float[][] y = roundTrip(GgmlType.Q8_0, x);
        for (int r = 0; r < x.length; r++) {
            for (int b = 0; b < x[r].length; b += 32) {
                double d = absMax(x[r], b, 32) / 127;
                for (int i = b; i < b + 32; i++) {
                    double bound = d * (0.5 + 127 * HALF_EPS) * (1 + 1e-6);
                    assertThat((double) Math.abs(y[r][i] - x[r][i])).as("row %d value %d", r, i)
                            .isLessThanOrEqualTo(bound);
                }
            }
        }
    }

    /** The value of greatest magnitude is -8 steps; those at more than 7.5 steps the other way are clipped to 7. */
    @Test
    void q40ValuesComeBackWithinHalfAStepExceptTheClippedOnes() {
        float[][] x = gaussianRows(64, 1024, 2);
        float[][] y = roundTrip(GgmlType.Q4_0, x);
        for (int r = 0; r < x.length; r++) {
            for (int b = 0; b < x[r].length; b += 32) {
                double d = extreme(x[r], b, 32) / -8.0;
                for (int i = b; i < b + 32; i++) {
                    double steps = x[r][i] / d;
                    double bound = Math.abs(d) * ((steps > 7.5 ? 1 : 0.5) + 8 * HALF_EPS) * (1 + 1e-6);
                    assertThat((double) Math.abs(y[r][i] - x[r][i])).as("row %d value %d", r, i)
                            .isLessThanOrEqualTo(bound);
                }
            }
        }
    }

    /**
     * Each value is the nearest of its sub-block's 16 levels {@code d * sc * q - dmin * m}: within half
     * a step of x inside the levels' range, at the nearest end outside it; and for Gaussian rows the
     * error's RMS is under a tenth of the values' (4 bits with tuned scales give about 0.08).
     */
    @Test
    void q4kValuesAreTheNearestOfTheirSubBlocksLevels() {
        float[][] x = gaussianRows(64, 1024, 3);
        float[][] y = roundTrip(GgmlType.Q4_K, x);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = Quantizer.quantize(GgmlType.Q4_K, x.length, 1024, copying(x), arena);
            MemorySegment data = matrix.data();
            double squaredError = 0;
            double squared = 0;
            for (int r = 0; r < x.length; r++) {
                for (int block = 0; block < 4; block++) {
                    long at = (r * 4L + block) * 144;
                    double d = Float.float16ToFloat(data.get(SHORT, at));
                    double dmin = Float.float16ToFloat(data.get(SHORT, at + 2));
                    for (int j = 0; j < 8; j++) {
                        double step = d * subScale(data, at + 4, j);
                        double low = -dmin * subMin(data, at + 4, j);
                        double high = low + 15 * step;
                        for (int l = 0; l < 32; l++) {
                            int i = 256 * block + 32 * j + l;
                            double outside = Math.max(0, Math.max(low - x[r][i], x[r][i] - high));
                            double bound = step / 2 + outside + 1e-6 * Math.abs(x[r][i]) + 1e-6 * step;
                            assertThat((double) Math.abs(y[r][i] - x[r][i])).as("row %d value %d", r, i)
                                    .isLessThanOrEqualTo(bound);
                            squaredError += (y[r][i] - x[r][i]) * (double) (y[r][i] - x[r][i]);
                            squared += x[r][i] * (double) x[r][i];
                        }
                    }
                }
            }
            assertThat(Math.sqrt(squaredError / squared)).isLessThan(0.1);
        }
    }

    @Test
    void everyRowIsAskedForOnceAndLandsInItsPlaceAcrossBatches() {
        int rows = 300;
        int cols = 8192;
        AtomicIntegerArray asked = new AtomicIntegerArray(rows);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = Quantizer.quantize(GgmlType.F32, rows, cols, (r, into) -> {
                asked.incrementAndGet(r);
                for (int c = 0; c < cols; c++) {
                    into[c] = (float) r * cols + c;
                }
            }, arena);

            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                assertThat(asked.get(r)).as("times row %d was asked for", r).isEqualTo(1);
                matrix.dequantizeRow(r, row, 0);
                assertThat(row[0]).as("row %d", r).isEqualTo((float) r * cols);
                assertThat(row[cols - 1]).as("row %d", r).isEqualTo((float) r * cols + cols - 1);
            }
        }
    }

    @Test
    void rowsOfPartBlocksAreRefusedNamingTheTypeAndItsBlockSize() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q4_K, 4, 176, (r, into) -> { }, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Q4_K").hasMessageContaining("256").hasMessageContaining("176");
            assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q8_0, 4, 100, (r, into) -> { }, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Q8_0").hasMessageContaining("32");
        }
    }

    @Test
    void anEmptyMatrixIsEmpty() {
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = Quantizer.quantize(GgmlType.Q4_K, 0, 256, (r, into) -> { }, arena);

            assertThat(matrix.rows()).isZero();
            assertThat(matrix.data().byteSize()).isZero();
        }
    }

    @Test
    void typesWithoutAQuantizerAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q6_K, 4, 256, (r, into) -> { }, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Q6_K");
        }
    }

    /** make_quantized.py's {@code stress_rows}: every value is exact in float32. */
    private static void stressRow(int r, float[] into) {
        long state = r * 0x9E3779B97F4A7C15L + 1;
        for (int c = 0; c < STRESS_COLS; c++) {
            long n = 0;
            for (int k = 0; k < 4; k++) {
                state = state * 6364136223846793005L + 1442695040888963407L;
                n += state >>> 48;
            }
            into[c] = (float) ((n - 131070) * Math.scalb(1.0, -17 - r % 4 - (c / 32) * 7 % 9));
        }
        if (r % 32 == 31) {
            Arrays.fill(into, 0f);
        }
        if (r % 32 == 30) {
            Arrays.fill(into, 0, 128, 0f);
        }
    }

    /** Rows of Gaussian values whose scale changes from row to row (0.01 .. 100), keeping fp16 scales normal. */
    private static float[][] gaussianRows(int rows, int cols, long seed) {
        Random random = new Random(seed);
        float[][] x = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            double scale = Math.pow(10, -2 + 4.0 * r / (rows - 1));
            for (int c = 0; c < cols; c++) {
                x[r][c] = (float) (random.nextGaussian() * scale);
            }
        }
        return x;
    }

    private static float[][] roundTrip(GgmlType type, float[][] x) {
        int cols = x[0].length;
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix matrix = Quantizer.quantize(type, x.length, cols, copying(x), arena);
            float[][] y = new float[x.length][cols];
            for (int r = 0; r < x.length; r++) {
                matrix.dequantizeRow(r, y[r], 0);
            }
            return y;
        }
    }

    private static double absMax(float[] x, int from, int n) {
        double max = 0;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, Math.abs(x[i]));
        }
        return max;
    }

    /** The first value of greatest magnitude, with its sign. */
    private static double extreme(float[] x, int from, int n) {
        double extreme = 0;
        for (int i = from; i < from + n; i++) {
            if (Math.abs(x[i]) > Math.abs(extreme)) {
                extreme = x[i];
            }
        }
        return extreme;
    }

    /** The 6-bit scale of sub-block j, as ggml-common.h packs them in a block_q4_K's scales[12]. */
    private static int subScale(MemorySegment data, long scales, int j) {
        return j < 4 ? unsigned(data, scales + j) & 63
                : (unsigned(data, scales + j + 4) & 0xF) | (unsigned(data, scales + j - 4) >> 6) << 4;
    }

    private static int subMin(MemorySegment data, long scales, int j) {
        return j < 4 ? unsigned(data, scales + j + 4) & 63
                : unsigned(data, scales + j + 4) >> 4 | (unsigned(data, scales + j) >> 6) << 4;
    }

    private static int unsigned(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static Quantizer.RowSource copying(float[][] x) {
        return (r, into) -> System.arraycopy(x[r], 0, into, 0, x[r].length);
    }

    private static float decode(GgmlType type, short bits) {
        return type == GgmlType.F16 ? Float.float16ToFloat(bits) : Float.intBitsToFloat(bits << 16);
    }

    private static float[][] floats(byte[] bytes, int rows, int cols) {
        MemorySegment segment = MemorySegment.ofArray(bytes);
        float[][] x = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                x[r][c] = segment.getAtIndex(FLOAT, (long) r * cols + c);
            }
        }
        return x;
    }

    private static byte[] resource(String name) {
        try (InputStream in = QuantizerTest.class.getResourceAsStream("quantizer/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource quantizer/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
