package dev.parlance.inference.gguf;

import static dev.parlance.inference.gguf.GgufWriter.array;
import static dev.parlance.inference.gguf.GgufWriter.str;
import static dev.parlance.inference.gguf.GgufWriter.u32;
import static dev.parlance.inference.gguf.GgufWriter.u64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.SharedData;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed file is a {@link ModelLoadException} that names the file and the fault; nothing else escapes. */
class GgufHostileInputTest {
    private static final long[] VECTOR = {8};
    private static final byte[] INVALID_UTF8 = {'a', (byte) 0xC3, '(', 'b'};

    @TempDir
    Path dir;

    /** A valid file with a string, an array and two F32 tensors: the base the cases below break. */
    private static GgufWriter valid() {
        return new GgufWriter().put("general.name", str("tiny")).put("list", array(GgufWriter.U32, 1L, 2L))
                .tensor("a", GgmlType.F32, VECTOR, new byte[32]).tensor("b", GgmlType.F32, VECTOR, new byte[32]);
    }

    private static byte[] cut(byte[] bytes, int length) {
        return Arrays.copyOf(bytes, length);
    }

    private static byte[] name(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static GgufWriter oneTensor(int typeId, long[] ne, long offset, int dataBytes) {
        return new GgufWriter().tensor(name("t"), typeId, ne, offset, new byte[dataBytes]);
    }

    // Offsets into valid(): header 24; "general.name" key 8 + 12, type 4, string length at 48 + 4 -> 60;
    // "list" key 8 + 4, type 4, element type 4, count at 80, items 8 -> 96; tensor infos 96 to 162;
    // data from 192 to 256.
    static Stream<Arguments> hostileFiles() {
        byte[] valid = valid().bytes();
        return Stream.of(
                hostile("bad magic", () -> valid().magic("GGML").bytes(), "not a GGUF file"),
                hostile("three bytes", () -> cut(valid, 3), "not a GGUF file"),
                hostile("version 1", () -> valid().version(1).bytes(), "GGUF version 1 is too old; convert the model again"),
                hostile("version 4", () -> valid().version(4).bytes(), "unsupported GGUF version 4"),
                hostile("big-endian", () -> valid().version(Integer.reverseBytes(3)).bytes(), "big-endian"),
                hostile("truncated header", () -> cut(valid, 20), "truncated"),
                hostile("truncated key", () -> cut(new GgufWriter().put("k".repeat(100), str("v")).bytes(), 82),
                        "truncated, or an absurd length: a key of 100 bytes at byte 24 (metadata entry 0) runs past the end"),
                hostile("truncated string", () -> cut(new GgufWriter().put("k", str("v".repeat(100))).bytes(), 95),
                        "truncated, or an absurd length: a string of 100 bytes at byte 37 (metadata key k) runs past the end"),
                hostile("truncated array",
                        () -> cut(new GgufWriter().put("list", array(GgufWriter.U32, thirtyItems())).bytes(), 100),
                        "truncated, or an absurd array length: array length 30 at byte 44 (metadata key list)"
                                + " needs at least 120"),
                hostile("truncated tensor info",
                        () -> cut(new GgufWriter().tensor("t".repeat(100), GgmlType.F32, VECTOR, new byte[32]).bytes(), 140),
                        "truncated: tensor " + "t".repeat(100) + " needs 8 more bytes at byte 136"),
                hostile("truncated tensor data", () -> cut(valid, valid.length - 1), "tensor b (32 bytes at offset 32"),
                hostile("tensor data missing", () -> cut(valid, valid.length - 64), "extends past the end of the file"),
                hostile("unknown value type", () -> valid().put("odd", new GgufWriter.Value(13, null)).bytes(),
                        "unknown metadata value type 13 for key odd"),
                hostile("unknown array element type", () -> valid().put("odd", array(42)).bytes(),
                        "unknown array element type 42 (metadata key odd)"),
                hostile("unknown tensor type", () -> oneTensor(99, VECTOR, 0, 32).bytes(),
                        "tensor t has unknown ggml type id 99"),
                hostile("retired tensor type", () -> oneTensor(4, VECTOR, 0, 32).bytes(), "unknown ggml type id 4"),
                hostile("absurd tensor count", () -> valid().tensorCount(1L << 60).bytes(),
                        "absurd tensor count 1152921504606846976"),
                hostile("negative tensor count", () -> valid().tensorCount(-1).bytes(),
                        "absurd tensor count 18446744073709551615"),
                hostile("absurd metadata count", () -> valid().kvCount(1L << 40).bytes(),
                        "absurd metadata count 1099511627776"),
                hostile("counts beyond the file", () -> valid().kvCount(10).tensorCount(5).bytes(), "cannot fit"),
                hostile("absurd key length", () -> valid().put(new byte[70_000], str("")).bytes(), "absurd key length 70000"),
                hostile("absurd string length", () -> withLength(valid, 48, -2), "absurd string length 18446744073709551614"),
                hostile("absurd array length", () -> withLength(valid, 80, 1L << 40),
                        "absurd array length 1099511627776 at byte 80 (metadata key list)"),
                hostile("array length beyond the rest", () -> withLength(valid, 80, 60),
                        "array length 60 at byte 80 (metadata key list) needs at least 240"),
                hostile("five dimensions", () -> oneTensor(0, new long[] {1, 1, 1, 1, 1}, 0, 4).bytes(),
                        "tensor t has 5 dimensions; 1 to 4 are allowed"),
                hostile("no dimensions", () -> oneTensor(0, new long[0], 0, 4).bytes(), "tensor t has 0 dimensions"),
                hostile("zero extent", () -> oneTensor(0, new long[] {8, 0}, 0, 32).bytes(), "extent 0 in dimension 1"),
                hostile("negative extent", () -> oneTensor(0, new long[] {-1}, 0, 32).bytes(),
                        "extent 18446744073709551615 in dimension 0"),
                hostile("byte size overflow", () -> oneTensor(0, new long[] {1L << 32, 1L << 32, 1L << 32}, 0, 32).bytes(),
                        "its byte size overflows"),
                hostile("byte size overflow in the last step",
                        () -> oneTensor(0, new long[] {1L << 31, 1L << 31}, 0, 32).bytes(),
                        "its byte size overflows"),
                hostile("partial block", () -> oneTensor(GgmlType.Q8_0.id(), new long[] {33, 2}, 0, 68).bytes(),
                        "tensor t has rows of 33 values, not a whole number of Q8_0 blocks of 32"),
                hostile("misaligned offset", () -> new GgufWriter().tensor(name("a"), 0, VECTOR, 0, new byte[32])
                        .tensor(name("b"), 0, VECTOR, 48, new byte[32]).bytes(),
                        "tensor b has offset 48, not a multiple of the alignment 32"),
                hostile("overlapping tensors", () -> new GgufWriter().tensor(name("a"), 0, new long[] {16}, 0, new byte[64])
                        .tensor(name("b"), 0, VECTOR, 32, new byte[32]).bytes(), "tensors a and b overlap"),
                hostile("offset past the file", () -> new GgufWriter().tensor(name("a"), 0, VECTOR, 0, new byte[32])
                        .tensor(name("b"), 0, VECTOR, 1L << 40, new byte[0]).bytes(),
                        "tensor b (32 bytes at offset 1099511627776"),
                hostile("absurd offset", () -> oneTensor(0, VECTOR, -32, 0).bytes(), "absurd offset 18446744073709551584"),
                hostile("duplicate tensor names", () -> new GgufWriter().tensor("a", GgmlType.F32, VECTOR, new byte[32])
                        .tensor("a", GgmlType.F32, VECTOR, new byte[32]).bytes(), "duplicate tensor name a"),
                hostile("duplicate keys", () -> valid().put("general.name", str("again")).bytes(),
                        "duplicate metadata key general.name"),
                hostile("invalid UTF-8 key", () -> valid().put(INVALID_UTF8, str("")).bytes(), "invalid UTF-8 in the key"),
                hostile("invalid UTF-8 string",
                        () -> valid().put("k", new GgufWriter.Value(GgufWriter.STRING, INVALID_UTF8)).bytes(),
                        "invalid UTF-8 in the string at byte"),
                hostile("invalid UTF-8 in an array",
                        () -> valid().put("k", array(GgufWriter.STRING, "ok", INVALID_UTF8)).bytes(),
                        "invalid UTF-8 in the string at byte"),
                hostile("invalid UTF-8 tensor name", () -> oneTensor(0, VECTOR, 0, 32).tensor(INVALID_UTF8, 0, VECTOR, 32,
                        new byte[32]).bytes(), "invalid UTF-8 in the tensor name"),
                hostile("u64 above long", () -> valid().put("big", u64(-1)).bytes(), "absurd u64 value 18446744073709551615"),
                hostile("zero alignment", () -> valid().put("general.alignment", u32(0)).bytes(),
                        "general.alignment is 0, not a power of two"),
                hostile("alignment not a power of two", () -> new GgufWriter().put("general.alignment", u32(48)).bytes(),
                        "general.alignment is 48, not a power of two"),
                hostile("alignment of another type", () -> new GgufWriter().put("general.alignment", u64(32)).bytes(),
                        "general.alignment is of type U64, not U32"),
                hostile("arrays nested too deep", () -> new GgufWriter().put("deep", nested(20)).bytes(),
                        "arrays nested more than 16 deep"));
    }

    private static Arguments hostile(String name, Supplier<byte[]> file, String phrase) {
        return Arguments.of(name, file, phrase);
    }

    private static byte[] withLength(byte[] valid, int at, long length) {
        byte[] bytes = valid.clone();
        MemorySegment.ofArray(bytes).set(ValueLayout.JAVA_LONG_UNALIGNED, at, length);
        return bytes;
    }

    private static Object[] thirtyItems() {
        Object[] items = new Object[30];
        Arrays.fill(items, 7L);
        return items;
    }

    private static GgufWriter.Value nested(int depth) {
        Object items = new GgufWriter.Array(GgufWriter.U8, List.of(1L));
        for (int i = 1; i < depth; i++) {
            items = new GgufWriter.Array(GgufWriter.ARRAY, List.of(items));
        }
        return new GgufWriter.Value(GgufWriter.ARRAY, items);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileFiles")
    void aMalformedFileIsRefusedWithAClearMessage(String name, Supplier<byte[]> bytes, String phrase) throws IOException {
        Path file = Files.write(dir.resolve("hostile.gguf"), bytes.get());
        assertThatThrownBy(() -> GgufFile.open(file).close()).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining(phrase);
    }

    @Test
    void theValidBaseOfTheHostileCasesOpens() throws Exception {
        try (GgufFile gguf = GgufFile.open(Files.write(dir.resolve("valid.gguf"), valid().bytes()))) {
            assertThat(gguf.tensors()).extracting(GgufTensor::name).containsExactly("a", "b");
            assertThat(gguf.metadata()).containsKeys("general.name", "list");
        }
    }

    @Test
    void moreMetadataValuesThanAnyModelNeedsAreRefused() throws IOException {
        int count = 1 << 24;
        byte[] bytes = Arrays.copyOf(new GgufWriter().put("many", array(GgufWriter.U8)).bytes(), 52 + count);
        MemorySegment.ofArray(bytes).set(ValueLayout.JAVA_LONG_UNALIGNED, 44, count);
        Path file = Files.write(dir.resolve("many.gguf"), bytes);
        assertThatThrownBy(() -> GgufFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("absurd array length 16777216 (metadata key many): more than 16777216 metadata values");
    }

    @Test
    void aFolderIsRefused() {
        assertThatThrownBy(() -> GgufFile.open(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("is a folder, not a GGUF file");
    }

    @Test
    void aMissingFileIsRefused() {
        Path missing = dir.resolve("missing.gguf");
        assertThatThrownBy(() -> GgufFile.open(missing)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("missing.gguf").hasMessageContaining("no such file");
    }

    @Test
    void anEmptyFileIsRefused() throws IOException {
        Path empty = Files.write(dir.resolve("empty.gguf"), new byte[0]);
        assertThatThrownBy(() -> GgufFile.open(empty)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("empty.gguf").hasMessageContaining("the file is empty");
    }

    /**
     * Thousands of seeded mutations of a fixture's header and tensor infos (random bytes, bit
     * flips, 0xFF runs, large u64s), and truncations at random lengths: {@code open} either returns
     * a usable file or throws {@link ModelLoadException}, quickly, and nothing else escapes.
     */
    @Test
    void randomDamageToAFixtureOnlyEverGivesAFileOrAModelLoadException() throws IOException {
        Path fixture = SharedData.require("fixtures/gguf/tiny-qwen3-Q4_0.gguf");
        byte[] original = Files.readAllBytes(fixture);
        int headerEnd = original.length - (int) tensorDataBytes(fixture);
        Path file = dir.resolve("damaged.gguf");
        var random = new Random(20_240_613);
        int[] outcomes = new int[2];
        List<String> escaped = new ArrayList<>();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int round = 0; round < 4000; round++) {
                byte[] damaged = round % 4 == 3
                        ? Arrays.copyOf(original, random.nextInt(original.length))
                        : mutate(original, headerEnd, random);
                Files.write(file, damaged);
                try (GgufFile gguf = GgufFile.open(file)) {
                    for (GgufTensor tensor : gguf.tensors()) {
                        MemorySegment data = gguf.data(tensor);
                        data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
                    }
                    outcomes[0]++;
                } catch (ModelLoadException e) {
                    outcomes[1]++;
                } catch (Throwable e) {
                    escaped.add("round " + round + ": " + e);
                }
            }
        });
        assertThat(escaped).isEmpty();
        assertThat(outcomes[1]).as("refused").isGreaterThan(1000);
        assertThat(outcomes[0]).as("opened").isGreaterThan(100);
    }

    /** Bytes of tensor data by the golden's offsets and sizes: the last tensor ends the file. */
    private static long tensorDataBytes(Path fixture) {
        JsonObject tensors = SharedData.json(fixture.resolveSibling(fixture.getFileName().toString()
                .replace(".gguf", ".golden.json"))).getAsJsonObject("tensors");
        long end = 0;
        for (var entry : tensors.entrySet()) {
            JsonObject tensor = entry.getValue().getAsJsonObject();
            end = Math.max(end, tensor.get("offset_in_data").getAsLong() + tensor.get("nbytes").getAsLong());
        }
        return end;
    }

    /** One to four hits, each in the first 64 bytes, the last 1 KiB of tensor infos, or anywhere in the header. */
    private static byte[] mutate(byte[] original, int headerEnd, Random random) {
        byte[] bytes = original.clone();
        int hits = 1 + random.nextInt(4);
        for (int h = 0; h < hits; h++) {
            int at = switch (random.nextInt(3)) {
                case 0 -> random.nextInt(64);
                case 1 -> headerEnd - 1 - random.nextInt(1024);
                default -> random.nextInt(headerEnd);
            };
            switch (random.nextInt(4)) {
                case 0 -> bytes[at] = (byte) random.nextInt(256);
                case 1 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                case 2 -> Arrays.fill(bytes, at, Math.min(headerEnd, at + 1 + random.nextInt(8)), (byte) 0xFF);
                default -> MemorySegment.ofArray(bytes).set(ValueLayout.JAVA_LONG_UNALIGNED,
                        Math.min(at, headerEnd - 8), random.nextLong() >>> random.nextInt(64));
            }
        }
        return bytes;
    }
}
