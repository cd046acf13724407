package dev.parlance.inference.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.gguf.GgufFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every computable tensor of the shared GGUF fixtures, read in place from its file, against the
 * sum, absolute sum and first values of its gguf-py dequantization in the file's golden.json.
 */
class WeightMatrixGgufFixtureTest {
    @TestFactory
    Stream<DynamicTest> everyTensorOfTheFixtureFilesDequantizesToItsGoldenSums() throws IOException {
        Path folder = SharedData.require("fixtures/gguf");
        List<Path> files;
        try (Stream<Path> listing = Files.list(folder)) {
            files = listing.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file)));
    }

    private static void check(Path file) throws Exception {
        String name = file.getFileName().toString();
        JsonObject tensors = SharedData.json(file.resolveSibling(name.replace(".gguf", ".golden.json")))
                .getAsJsonObject("tensors");
        try (GgufFile gguf = GgufFile.open(file)) {
            int checked = 0;
            for (Map.Entry<String, JsonElement> entry : tensors.entrySet()) {
                JsonObject tensor = entry.getValue().getAsJsonObject();
                GgmlType type = GgmlType.valueOf(tensor.get("ggml_type").getAsString());
                if (type.isComputable()) {
                    check(name + " " + entry.getKey(), type, tensor, gguf.data(gguf.tensor(entry.getKey())));
                    checked++;
                }
            }
            assertThat(checked).as(name).isPositive();
        }
    }

    private static void check(String what, GgmlType type, JsonObject tensor, MemorySegment data) {
        JsonArray ne = tensor.getAsJsonArray("ne");
        int cols = ne.get(0).getAsInt();
        int rows = 1;
        for (int i = 1; i < ne.size(); i++) {
            rows *= ne.get(i).getAsInt();
        }
        WeightMatrix matrix = WeightMatrix.of(type, data, rows, cols);
        float[] row = new float[cols];
        double sum = 0;
        double absSum = 0;
        JsonArray first = tensor.getAsJsonArray("first_values");
        for (int r = 0; r < rows; r++) {
            matrix.dequantizeRow(r, row, 0);
            for (int c = 0; c < cols; c++) {
                sum += row[c];
                absSum += Math.abs(row[c]);
                long index = (long) r * cols + c;
                if (index < first.size()) {
                    assertThat(row[c]).as("%s value %d", what, index).isEqualTo(first.get((int) index).getAsFloat());
                }
            }
        }
        double absGolden = tensor.get("dequantized_abs_sum").getAsDouble();
        assertThat(absSum).as("%s abs-sum", what).isCloseTo(absGolden, within(1e-6 * absGolden));
        assertThat(sum).as("%s sum", what)
                .isCloseTo(tensor.get("dequantized_sum").getAsDouble(), within(1e-6 * absGolden));
    }
}
