package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance bench}, with and without {@code --chat-turns}: what it reports, on a tiny model (the timings are not checked). */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void reportsEveryTurnWithTheEarlierTurnsReusedFromTheCache() throws Exception {
        JsonObject report = benchJson("--chat-turns", "3", "--message-chars", "20", "--answer-tokens", "4");

        JsonArray turns = report.getAsJsonArray("turns");
        assertThat(turns).hasSize(3);
        JsonObject first = turns.get(0).getAsJsonObject();
        JsonObject third = turns.get(2).getAsJsonObject();
        assertThat(first.get("reused_tokens").getAsInt()).isZero();
        assertThat(third.get("reused_tokens").getAsInt())
                .isGreaterThanOrEqualTo(turns.get(1).getAsJsonObject().get("prompt_tokens").getAsInt() - 4);
        assertThat(third.get("computed_tokens").getAsInt()).isLessThan(third.get("prompt_tokens").getAsInt() / 2);
        assertThat(third.get("ttft_ms").getAsDouble()).isPositive();
        JsonArray runs = third.getAsJsonArray("ttft_ms_runs");
        assertThat(runs).hasSize(3); // the default --repeat
        assertThat(third.get("ttft_ms").getAsDouble()).isEqualTo(middle(runs));
        assertThat(report.has("ttft_last_vs_first")).isTrue();
    }

    @Test
    void withoutChatTurnsItMeasuresPrefillAndDecodeRunByRunAndReportsMedians() throws Exception {
        JsonObject report = benchJson("--prompt-tokens", "16", "--decode-tokens", "4", "--repeat", "3");

        assertThat(report.get("repeats").getAsInt()).isEqualTo(3);
        assertThat(report.get("decode_tok_s").getAsDouble()).isPositive();
        assertThat(report.get("peak_rss_mb").getAsDouble()).isPositive();
        JsonArray ratios = report.getAsJsonArray("decode_vs_roofline_runs");
        assertThat(ratios).hasSize(3);
        assertThat(report.get("decode_vs_roofline").getAsDouble()).isEqualTo(middle(ratios));
        JsonArray paired = report.getAsJsonArray("decode_vs_roofline_paired_runs");
        assertThat(paired).hasSize(3);
        assertThat(paired.asList()).allSatisfy(ratio -> assertThat(ratio.getAsDouble()).isPositive());
        assertThat(report.get("decode_vs_roofline_paired").getAsDouble()).isEqualTo(middle(paired));
    }

    @Test
    void keepsTheSyntheticModelItWroteWhenAskedSoThatItLoadsAgain() throws Exception {
        Path kept = dir.resolve("kept");
        CliRun.Result written = CliRun.run("", "bench", "--synthetic", "smollm2-135m", "--keep-synthetic", kept.toString(),
                "--prompt-tokens", "4", "--decode-tokens", "2", "--repeat", "1", "--threads", "1", "--json");
        assertThat(written.exit()).as(written.err()).isZero();
        assertThat(kept.resolve("model.safetensors")).isRegularFile();

        CliRun.Result again = CliRun.run("", "bench", "--model", kept.toString(), "--prompt-tokens", "4",
                "--decode-tokens", "2", "--repeat", "1", "--threads", "1", "--json");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(JsonParser.parseString(again.out()).getAsJsonObject().get("parameters").getAsLong())
                .isEqualTo(134_515_008L);
    }

    @Test
    void refusesFewerThanOneRun() throws Exception {
        CliRun.Result result = CliRun.run("", "bench", "--model", tinyModel().toString(), "--repeat", "0");

        assertThat(result.exit()).isNotZero();
        assertThat(result.err()).contains("--repeat must be at least 1");
    }

    private Path tinyModel() throws Exception {
        return SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);
    }

    /** {@code parlance bench --model TINY --threads 1 --json} with {@code options}, which must succeed. */
    private JsonObject benchJson(String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("bench", "--model", tinyModel().toString(), "--threads", "1", "--json"));
        args.addAll(List.of(options));
        CliRun.Result result = CliRun.run("", args.toArray(String[]::new));
        assertThat(result.exit()).as(result.err()).isZero();
        return JsonParser.parseString(result.out()).getAsJsonObject();
    }

    /** The middle of three values, computed here independently of the command's own median. */
    private static double middle(JsonArray three) {
        double[] sorted = three.asList().stream().mapToDouble(JsonElement::getAsDouble).sorted().toArray();
        return sorted[1];
    }
}
