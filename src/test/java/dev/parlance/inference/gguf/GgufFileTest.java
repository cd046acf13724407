package dev.parlance.inference.gguf;

import static dev.parlance.inference.gguf.GgufWriter.array;
import static dev.parlance.inference.gguf.GgufWriter.bool;
import static dev.parlance.inference.gguf.GgufWriter.f32;
import static dev.parlance.inference.gguf.GgufWriter.f64;
import static dev.parlance.inference.gguf.GgufWriter.i16;
import static dev.parlance.inference.gguf.GgufWriter.i32;
import static dev.parlance.inference.gguf.GgufWriter.i64;
import static dev.parlance.inference.gguf.GgufWriter.i8;
import static dev.parlance.inference.gguf.GgufWriter.str;
import static dev.parlance.inference.gguf.GgufWriter.u16;
import static dev.parlance.inference.gguf.GgufWriter.u32;
import static dev.parlance.inference.gguf.GgufWriter.u64;
import static dev.parlance.inference.gguf.GgufWriter.u8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.SharedData;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads the shared GGUF fixtures against their golden.json (written by gguf-py, not by this reader),
 * and round-trips files written by {@link GgufWriter}.
 */
class GgufFileTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    static Stream<String> fixtures() throws IOException {
        Path folder = SharedData.require("fixtures/gguf");
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf")).sorted().toList().stream();
        }
    }

    private static JsonObject golden(String fixture) {
        return SharedData.json(SharedData.require("fixtures/gguf/" + fixture.replace(".gguf", ".golden.json")));
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fixtureMetadataMatchesItsGolden(String fixture) throws Exception {
        JsonObject expected = golden(fixture).getAsJsonObject("gguf_metadata");
        try (GgufFile gguf = GgufFile.open(SharedData.require("fixtures/gguf/" + fixture))) {
            assertThat(gguf.version()).isEqualTo(3);
            assertThat(gguf.alignment()).isEqualTo(32);
            assertThat(gguf.metadata().keySet()).containsExactlyElementsOf(expected.keySet());
            for (var entry : expected.entrySet()) {
                assertMatches(entry.getKey(), gguf.metadata().get(entry.getKey()), entry.getValue());
            }
        }
    }

    /** Scalars exactly; arrays by length and their first elements where the golden abbreviates them. */
    private static void assertMatches(String key, Object actual, JsonElement expected) {
        if (expected.isJsonObject() && expected.getAsJsonObject().has("array_len")) {
            JsonObject abbreviated = expected.getAsJsonObject();
            assertThat(actual).as(key).isInstanceOf(List.class);
            List<?> list = (List<?>) actual;
            assertThat(list).as(key).hasSize(abbreviated.get("array_len").getAsInt());
            JsonArray first = abbreviated.getAsJsonArray("first");
            for (int i = 0; i < first.size(); i++) {
                assertMatches(key + "[" + i + "]", list.get(i), first.get(i));
            }
        } else if (expected.isJsonArray()) {
            JsonArray items = expected.getAsJsonArray();
            assertThat(actual).as(key).isInstanceOf(List.class);
            assertThat((List<?>) actual).as(key).hasSize(items.size());
            for (int i = 0; i < items.size(); i++) {
                assertMatches(key + "[" + i + "]", ((List<?>) actual).get(i), items.get(i));
            }
        } else if (expected.getAsJsonPrimitive().isString()) {
            assertThat(actual).as(key).isEqualTo(expected.getAsString());
        } else if (expected.getAsJsonPrimitive().isBoolean()) {
            assertThat(actual).as(key).isEqualTo(expected.getAsBoolean());
        } else if (actual instanceof Long value) {
            assertThat(expected.getAsString()).as(key).doesNotContain(".");
            assertThat(value).as(key).isEqualTo(expected.getAsLong());
        } else {
            assertThat(actual).as(key).isInstanceOfAny(Float.class, Double.class);
            assertThat(((Number) actual).doubleValue()).as(key).isEqualTo(expected.getAsDouble());
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fixtureTensorsMatchTheirGolden(String fixture) throws Exception {
        JsonObject expected = golden(fixture).getAsJsonObject("tensors");
        try (GgufFile gguf = GgufFile.open(SharedData.require("fixtures/gguf/" + fixture))) {
            assertThat(gguf.tensors()).extracting(GgufTensor::name).containsExactlyElementsOf(expected.keySet());
            for (var entry : expected.entrySet()) {
                JsonObject golden = entry.getValue().getAsJsonObject();
                GgufTensor tensor = gguf.tensor(entry.getKey());
                assertThat(tensor.type().name()).as(tensor.name()).isEqualTo(golden.get("ggml_type").getAsString());
                assertThat(tensor.ne()).as(tensor.name()).containsExactly(longs(golden.getAsJsonArray("ne")));
                assertThat(tensor.offset()).as(tensor.name()).isEqualTo(golden.get("offset_in_data").getAsLong());
                assertThat(tensor.byteSize()).as(tensor.name()).isEqualTo(golden.get("nbytes").getAsLong());
                assertThat(gguf.data(tensor).byteSize()).isEqualTo(tensor.byteSize());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fixtureF32TensorsHoldTheirGoldenValues(String fixture) throws Exception {
        JsonObject expected = golden(fixture).getAsJsonObject("tensors");
        try (GgufFile gguf = GgufFile.open(SharedData.require("fixtures/gguf/" + fixture))) {
            List<GgufTensor> f32 = gguf.tensors().stream().filter(t -> t.type() == GgmlType.F32).toList();
            assertThat(f32).isNotEmpty();
            for (GgufTensor tensor : f32) {
                JsonObject golden = expected.getAsJsonObject(tensor.name());
                MemorySegment data = gguf.data(tensor);
                double sum = 0;
                for (long i = 0; i < tensor.elements(); i++) {
                    sum += data.getAtIndex(F32_LE, i);
                }
                double absSum = golden.get("dequantized_abs_sum").getAsDouble();
                assertThat(sum).as(tensor.name()).isCloseTo(golden.get("dequantized_sum").getAsDouble(),
                        within(1e-9 * absSum + 1e-12));
                JsonArray first = golden.getAsJsonArray("first_values");
                for (int i = 0; i < first.size(); i++) {
                    assertThat((double) data.getAtIndex(F32_LE, i)).as(tensor.name() + "[" + i + "]")
                            .isEqualTo(first.get(i).getAsDouble());
                }
            }
        }
    }

    private static long[] longs(JsonArray array) {
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsLong();
        }
        return values;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void everyValueTypeRoundTrips(int version) throws Exception {
        Path file = write(new GgufWriter().version(version)
                .put("u8", u8(255)).put("i8", i8(-128)).put("u16", u16(65_535)).put("i16", i16(-32_768))
                .put("u32", u32(4_294_967_295L)).put("i32", i32(-2_147_483_648L))
                .put("u64", u64(Long.MAX_VALUE)).put("i64", i64(Long.MIN_VALUE))
                .put("f32", f32(1e-5f)).put("f64", f64(-2.5e300)).put("true", bool(true)).put("false", bool(false))
                .put("string", str("héllo, 世界 🦙")).put("empty", str(""))
                .put("floats", array(GgufWriter.F32, 0.5f, -1.25f))
                .put("nested", array(GgufWriter.ARRAY,
                        new GgufWriter.Array(GgufWriter.STRING, List.of("a", "bc")),
                        new GgufWriter.Array(GgufWriter.I8, List.of(-1L, 7L)),
                        new GgufWriter.Array(GgufWriter.ARRAY,
                                List.of(new GgufWriter.Array(GgufWriter.BOOL, List.of(true)))))));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertThat(gguf.version()).isEqualTo(version);
            assertThat(gguf.metadata()).containsExactly(
                    Map.entry("u8", 255L), Map.entry("i8", -128L), Map.entry("u16", 65_535L), Map.entry("i16", -32_768L),
                    Map.entry("u32", 4_294_967_295L), Map.entry("i32", -2_147_483_648L),
                    Map.entry("u64", Long.MAX_VALUE), Map.entry("i64", Long.MIN_VALUE),
                    Map.entry("f32", 1e-5f), Map.entry("f64", -2.5e300), Map.entry("true", true), Map.entry("false", false),
                    Map.entry("string", "héllo, 世界 🦙"), Map.entry("empty", ""),
                    Map.entry("floats", List.of(0.5f, -1.25f)),
                    Map.entry("nested", List.of(List.of("a", "bc"), List.of(-1L, 7L), List.of(List.of(true)))));
            assertThat(gguf.tensors()).isEmpty();
            assertThat(gguf.alignment()).isEqualTo(32);
        }
    }

    @Test
    void metadataCannotBeModified() throws Exception {
        try (GgufFile gguf = GgufFile.open(write(new GgufWriter().put("list", array(GgufWriter.U8, 1L))))) {
            assertThatThrownBy(() -> gguf.metadata().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) gguf.metadata().get("list");
            assertThatThrownBy(() -> list.set(0, 2L)).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void tensorsRoundTripWithANonDefaultAlignment() throws Exception {
        var random = new Random(13);
        byte[] matrix = floats(random, 4 * 3);
        byte[] norm = floats(random, 4);
        byte[] q8 = bytes(random, GgmlType.Q8_0.bytesFor(64 * 2));
        byte[] iq2 = bytes(random, GgmlType.IQ2_XXS.bytesFor(256));
        Path file = write(new GgufWriter().alignment(64).put("general.architecture", str("llama"))
                .tensor("matrix", GgmlType.F32, new long[] {4, 3}, matrix)
                .tensor("norm", GgmlType.F32, new long[] {4}, norm)
                .tensor("q8", GgmlType.Q8_0, new long[] {64, 2}, q8)
                .tensor("iq2", GgmlType.IQ2_XXS, new long[] {256, 1, 1, 1}, iq2));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertThat(gguf.alignment()).isEqualTo(64);
            assertThat(gguf.tensors()).containsExactly(
                    new GgufTensor("matrix", GgmlType.F32, new long[] {4, 3}, 0, 48),
                    new GgufTensor("norm", GgmlType.F32, new long[] {4}, 64, 16),
                    new GgufTensor("q8", GgmlType.Q8_0, new long[] {64, 2}, 128, 136),
                    new GgufTensor("iq2", GgmlType.IQ2_XXS, new long[] {256, 1, 1, 1}, 320, 66));
            assertThat(gguf.data(gguf.tensor("matrix")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(matrix);
            assertThat(gguf.data(gguf.tensor("norm")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(norm);
            assertThat(gguf.data(gguf.tensor("q8")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(q8);
            assertThat(gguf.data(gguf.tensor("iq2")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(iq2);
            assertThat(gguf.data(gguf.tensor("norm")).isReadOnly()).isTrue();
        }
    }

    @Test
    void tensorShapesGiveRowsAndColumns() {
        var tensor = new GgufTensor("t", GgmlType.Q4_K, new long[] {512, 3, 2}, 0, 2 * 6 * 144);
        assertThat(tensor.cols()).isEqualTo(512);
        assertThat(tensor.rows()).isEqualTo(6);
        assertThat(tensor.elements()).isEqualTo(3072);
    }

    @Test
    void rowsBeyondAnIntAreRefused() {
        var tensor = new GgufTensor("huge", GgmlType.F32, new long[] {1, 1L << 31}, 0, 1L << 33);
        assertThatThrownBy(tensor::rows).isInstanceOf(ArithmeticException.class).hasMessageContaining("huge");
    }

    @Test
    void tensorShapeCannotBeChangedFromOutside() {
        long[] ne = {4, 2};
        var tensor = new GgufTensor("t", GgmlType.F32, ne, 0, 32);
        ne[0] = 99;
        tensor.ne()[1] = 99;
        assertThat(tensor.ne()).containsExactly(4, 2);
    }

    @Test
    void requiredValuesNameTheMissingOrMistypedKey() throws Exception {
        try (GgufFile gguf = GgufFile.open(write(new GgufWriter().put("name", str("tiny")).put("count", u32(7))))) {
            assertThat(gguf.string("name")).isEqualTo("tiny");
            assertThat(gguf.integer("count")).isEqualTo(7);
            assertThatThrownBy(() -> gguf.string("absent")).isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("metadata key absent is missing").hasMessageContaining(gguf.path().toString());
            assertThatThrownBy(() -> gguf.integer("name")).isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("metadata key name is a string, not an integer");
            assertThatThrownBy(() -> gguf.string("count")).isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("metadata key count is an integer (7), not a string");
        }
    }

    @Test
    void optionalValuesFallBackWhenAbsentOrMistyped() throws Exception {
        try (GgufFile gguf = GgufFile.open(write(new GgufWriter().put("eps", f32(1e-6f)).put("theta", f64(1e6))
                .put("layers", i16(2)).put("name", str("x")).put("flag", bool(true))))) {
            assertThat(gguf.optInteger("layers")).hasValue(2);
            assertThat(gguf.optInteger("name")).isEmpty();
            assertThat(gguf.optInteger("absent")).isEmpty();
            assertThat(gguf.optString("name")).hasValue("x");
            assertThat(gguf.optString("layers")).isEmpty();
            assertThat(gguf.number("eps", 0)).isEqualTo((double) 1e-6f);
            assertThat(gguf.number("theta", 0)).isEqualTo(1e6);
            assertThat(gguf.number("layers", 0)).isEqualTo(2);
            assertThat(gguf.number("name", 0.5)).isEqualTo(0.5);
            assertThat(gguf.bool("flag", false)).isTrue();
            assertThat(gguf.bool("absent", true)).isTrue();
            assertThat(gguf.bool("name", false)).isFalse();
        }
    }

    @Test
    void aMissingTensorIsNamed() throws Exception {
        try (GgufFile gguf = GgufFile.open(write(new GgufWriter()
                .tensor("present", GgmlType.F32, new long[] {2}, new byte[8])))) {
            assertThat(gguf.findTensor("present")).isPresent();
            assertThat(gguf.findTensor("output.weight")).isEmpty();
            assertThatThrownBy(() -> gguf.tensor("output.weight")).isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("tensor output.weight is missing");
        }
    }

    @Test
    void dataRefusesATensorOfAnotherFile() throws Exception {
        try (GgufFile gguf = GgufFile.open(write(new GgufWriter()
                .tensor("t", GgmlType.F32, new long[] {2}, new byte[8])))) {
            assertThatThrownBy(() -> gguf.data(new GgufTensor("t", GgmlType.F32, new long[] {4}, 0, 16)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a tensor of");
        }
    }

    @Test
    void closingUnmapsTheData() throws Exception {
        GgufFile gguf = GgufFile.open(write(new GgufWriter().tensor("t", GgmlType.F32, new long[] {2}, new byte[8])));
        MemorySegment data = gguf.data(gguf.tensor("t"));
        assertThat(data.get(ValueLayout.JAVA_BYTE, 0)).isZero();
        gguf.close();
        gguf.close();
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    private Path write(GgufWriter writer) throws IOException {
        return Files.write(dir.resolve("test.gguf"), writer.bytes());
    }

    private static byte[] floats(Random random, int count) {
        MemorySegment values = MemorySegment.ofArray(new byte[count * 4]);
        for (int i = 0; i < count; i++) {
            values.setAtIndex(F32_LE, i, (float) random.nextGaussian());
        }
        return values.toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] bytes(Random random, long count) {
        byte[] bytes = new byte[(int) count];
        random.nextBytes(bytes);
        return bytes;
    }
}
