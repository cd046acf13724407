package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GenerateCommandTest {
    @TempDir
    Path dir;

    private static String stories() {
        return SharedData.require("models/stories260K").toString();
    }

    @Test
    void streamsTheGreedyContinuationToStdout() {
        var result = CliRun.run("", "generate", "--model", stories(), "--prompt", "Once upon a time",
                "--max-tokens", "20", "--temperature", "0");
        assertThat(result.exit()).isZero();
        assertThat(result.out()).startsWith(", there was a little girl named Lily.");
    }

    @Test
    void jsonReportsIdsTextLogprobsAndTimings() {
        var result = CliRun.run("", "generate", "--model", stories(), "--prompt-ids", "1,403,407,261,378",
                "--max-tokens", "5", "--temperature", "0", "--logprobs", "3", "--json");
        assertThat(result.exit()).as(result.err()).isZero();
        JsonObject json = JsonParser.parseString(result.out()).getAsJsonObject();
        assertThat(json.getAsJsonArray("ids").toString()).isEqualTo("[432,383,286,261,376]");
        assertThat(json.get("text").getAsString()).isEqualTo(", there was a little");
        assertThat(json.get("finish_reason").getAsString()).isEqualTo("length");
        var first = json.getAsJsonArray("logprobs").get(0).getAsJsonObject();
        assertThat(first.get("id").getAsInt()).isEqualTo(432);
        assertThat(first.getAsJsonArray("top_logprobs")).hasSize(3);
        var timings = json.getAsJsonObject("timings");
        for (String key : new String[] {"load_ms", "ttft_ms", "prefill_tok_s", "decode_tok_s"}) {
            assertThat(timings.get(key).getAsDouble()).as(key).isPositive();
        }
    }

    @Test
    void weightsQuantizedAtLoadStillTellTheStory() {
        var result = CliRun.run("", "generate", "--model", stories(), "--weights", "q8_0", "--prompt", "Once upon a time",
                "--max-tokens", "8", "--temperature", "0");
        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).contains("there was a little");
    }

    @Test
    void aBrokenModelFolderIsAPlainMessageAndExitCodeTwo() {
        var result = CliRun.run("", "generate", "--model", dir.toString(), "--prompt", "hi");
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).contains("cannot load the model").contains("config.json");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--top-k -5 | top-k must be >= 0",
        "--max-tokens -1 | max new tokens must be >= 0",
        "--temperature -1 | temperature must be >= 0",
        "--top-p 2 | top-p must be in (0, 1]",
        "--top-p 0 | top-p must be in (0, 1]",
        "--min-p 2 | min-p must be in [0, 1)",
        "--repeat-penalty 0 | repeat penalty must be > 0",
        "--temperature NaN --top-p NaN | temperature must be >= 0",
        "--top-p NaN | top-p must be in (0, 1]"})
    void aSamplingFlagOutOfRangeIsOnePlainLine(String flags, String message) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", stories(), "--prompt", "Once"));
        args.addAll(List.of(flags.trim().split(" ")));
        var result = CliRun.run("", args.toArray(String[]::new));
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,403,99999", "1,-3,403"})
    void promptIdsOutsideTheVocabularyAreOnePlainLine(String ids) {
        var result = CliRun.run("", "generate", "--model", stories(), "--prompt-ids", ids, "--max-tokens", "2");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("is not in the model's vocabulary (0 to 511)")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }
}
