package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.gguf.GgufFile;
import dev.parlance.inference.gguf.GgufTensor;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** GGUF files that SyntheticModel writes, against the folder form of the same model. */
class SyntheticGgufTest {
    private static final long SEED = 7;
    /** 20 positions: RoPE angles well past the first pair's period, every id below the tiny vocabulary. */
    private static final int[] PROMPT = {1, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 287, 0, 3,
        200, 259, 150, 9};

    @TempDir
    Path dir;

    private Path gguf(GgmlType type) throws IOException {
        return SyntheticModel.writeGguf(dir.resolve("tiny-" + type + ".gguf"), SyntheticModel.Shape.TINY, type, SEED);
    }

    private static float[][] logits(Path model) throws ModelLoadException {
        try (LanguageModel loaded = LanguageModel.load(model, f -> { })) {
            return FixtureGoldenTest.allLogits(loaded, PROMPT);
        }
    }

    private static double maxAbsDifference(float[][] a, float[][] b) {
        double max = 0;
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                max = Math.max(max, Math.abs(a[t][i] - b[t][i]));
            }
        }
        return max;
    }

    /**
     * Every tensor's type and bytes against {@code synthetic/reference_tensors.py}, which computes them
     * with gguf-py's quantizers and numpy from the same seeded values and the README's permutation.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void everyTensorHoldsTheBytesGgufPyComputesForIt(GgmlType type) throws Exception {
        JsonObject expected;
        try (var in = SyntheticGgufTest.class.getResourceAsStream("synthetic/tiny-seed7-tensors.json")) {
            expected = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject().getAsJsonObject(type.name());
        }
        try (GgufFile file = GgufFile.open(gguf(type))) {
            assertThat(file.tensors()).extracting(GgufTensor::name).containsExactlyElementsOf(expected.keySet());
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (GgufTensor tensor : file.tensors()) {
                JsonObject reference = expected.getAsJsonObject(tensor.name());
                assertThat(tensor.type().name()).as(tensor.name()).isEqualTo(reference.get("type").getAsString());
                byte[] digest = sha256.digest(file.data(tensor).toArray(ValueLayout.JAVA_BYTE));
                assertThat(HexFormat.of().formatHex(digest)).as(tensor.name())
                        .isEqualTo(reference.get("sha256").getAsString());
            }
        }
    }

    /** TINY makes a llama file (Q/K rows permuted, RoPE on adjacent pairs), TINY_QWEN2 a qwen2 file with biases. */
    @ParameterizedTest
    @EnumSource(names = {"TINY", "TINY_QWEN2"})
    void anF32FileGivesTheLogitsOfTheSameModelsFolderAtEveryPosition(SyntheticModel.Shape shape) throws Exception {
        float[][] folder = logits(SyntheticModel.write(dir.resolve("folder"), shape, SafeTensors.DType.F32, 1, SEED));
        float[][] file = logits(SyntheticModel.writeGguf(dir.resolve("model.gguf"), shape, GgmlType.F32, SEED));
        for (int t = 0; t < PROMPT.length; t++) {
            assertThat(file[t]).as("position %d", t).containsExactly(folder[t], within(1e-4f));
        }
    }

    /**
     * F16 and BF16 hold every weight (k/512, norms 1 + k/128) exactly: the logits are identical
     * (measured difference 0). Q8_0 moves a weight by at most d/2 = max|w|/254 of its block (1.2e-4
     * here) and Q4_0 by at most |d|/2 = max|w|/16 (2e-3); measured over all 20 positions and 288
     * logits, Q8_0 moves logits by at most 0.0026 and Q4_0 by 0.049. The bounds leave 2x to 4x room;
     * Q4_0 with its nibbles swapped moves them by 0.30 (the tensor-bytes test above catches any such
     * error exactly).
     */
    @ParameterizedTest
    @CsvSource({"F16, 1e-6", "BF16, 1e-6", "Q8_0, 0.01", "Q4_0, 0.1"})
    void filesOfOtherTypesGiveLogitsCloseToTheF32Files(GgmlType type, double bound) throws Exception {
        float[][] reference = logits(gguf(GgmlType.F32));
        float[][] other = logits(gguf(type));
        assertThat(maxAbsDifference(other, reference)).as(type + " vs F32").isLessThan(bound);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "Q4_0"})
    void greedyDecodingWithTheKvCacheChoosesTheTokensOfFullRecomputation(GgmlType type) throws Exception {
        int steps = 12;
        try (LanguageModel model = LanguageModel.load(gguf(type), f -> { })) {
            int[] cached = Arrays.copyOf(PROMPT, PROMPT.length + steps);
            try (KvCache cache = model.network().newCache(cached.length)) {
                int[] input = Arrays.copyOf(PROMPT, PROMPT.length);
                for (int step = 0; step < steps; step++) {
                    cached[PROMPT.length + step] = FixtureGoldenTest.argmax(model.network().forward(input, cache, false));
                    input = new int[] {cached[PROMPT.length + step]};
                }
            }
            int[] recomputed = Arrays.copyOf(PROMPT, PROMPT.length + steps);
            for (int step = 0; step < steps; step++) {
                float[][] all = FixtureGoldenTest.allLogits(model, Arrays.copyOf(recomputed, PROMPT.length + step));
                recomputed[PROMPT.length + step] = FixtureGoldenTest.argmax(all[all.length - 1]);
            }
            assertThat(cached).containsExactly(recomputed);
        }
    }

    @Test
    void aFileWithTruncatedTensorDataFailsToLoadSayingSo() throws Exception {
        Path file = gguf(GgmlType.Q8_0);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 100);
        }
        assertThatThrownBy(() -> LanguageModel.load(file, f -> { }))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.getFileName().toString())
                .hasMessageContaining("truncated");
    }
}
