package dev.parlance.inference.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.gguf.GgmlType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dequantization against gguf-py's {@code gguf.quants.dequantize}, bit for bit: the rows and their
 * expected values are made by {@code make_dequantized.py} beside the resources.
 */
class WeightMatrixDequantizeTest {
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static List<String> cases() {
        return new String(resource("cases.txt"), StandardCharsets.UTF_8).lines().toList();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everyRowDequantizesToTheBitsGgufPyGives(String line) {
        String[] fields = line.split(" ");
        GgmlType type = GgmlType.valueOf(fields[0]);
        int rows = Integer.parseInt(fields[1]);
        int cols = Integer.parseInt(fields[2]);
        MemorySegment expected = MemorySegment.ofArray(resource(type + ".f32"));
        WeightMatrix matrix = WeightMatrix.of(type, MemorySegment.ofArray(resource(type + ".blocks")), rows, cols);

        float[] row = new float[cols + 2];
        for (int r = 0; r < rows; r++) {
            matrix.dequantizeRow(r, row, 1);
            for (int c = 0; c < cols; c++) {
                float want = expected.getAtIndex(FLOAT, (long) r * cols + c);
                assertThat(Float.floatToRawIntBits(row[1 + c]))
                        .as("%s row %d value %d: %s, expected %s", type, r, c, row[1 + c], want)
                        .isEqualTo(Float.floatToRawIntBits(want));
            }
            assertThat(row[0]).isZero();
            assertThat(row[cols + 1]).isZero();
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = WeightMatrixDequantizeTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
