package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void aBrokenModelFolderIsAPlainMessageAndExitCodeTwo() {
        var result = CliRun.run("", "generate", "--model", dir.toString(), "--prompt", "hi");
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).contains("cannot load the model").contains("config.json");
    }
}
