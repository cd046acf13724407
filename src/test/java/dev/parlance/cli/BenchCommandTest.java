package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance bench}, with and without {@code --chat-turns}: what it reports, on a tiny model (the timings are not checked). */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void reportsEveryTurnWithTheEarlierTurnsReusedFromTheCache() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);

        CliRun.Result result = CliRun.run("", "bench", "--model", model.toString(), "--chat-turns", "3",
                "--message-chars", "20", "--answer-tokens", "4", "--threads", "1", "--json");

        assertThat(result.exit()).as(result.err()).isZero();
        JsonObject report = JsonParser.parseString(result.out()).getAsJsonObject();
        JsonArray turns = report.getAsJsonArray("turns");
        assertThat(turns).hasSize(3);
        JsonObject first = turns.get(0).getAsJsonObject();
        JsonObject third = turns.get(2).getAsJsonObject();
        assertThat(first.get("reused_tokens").getAsInt()).isZero();
        assertThat(third.get("reused_tokens").getAsInt())
                .isGreaterThanOrEqualTo(turns.get(1).getAsJsonObject().get("prompt_tokens").getAsInt() - 4);
        assertThat(third.get("computed_tokens").getAsInt()).isLessThan(third.get("prompt_tokens").getAsInt() / 2);
        assertThat(third.get("ttft_ms").getAsDouble()).isPositive();
        assertThat(report.has("ttft_last_vs_first")).isTrue();
    }

    @Test
    void withoutChatTurnsItMeasuresPrefillAndDecodeRunByRunAndReportsMedians() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);

        CliRun.Result result = CliRun.run("", "bench", "--model", model.toString(), "--prompt-tokens", "16",
                "--decode-tokens", "4", "--threads", "1", "--repeat", "3", "--json");

        assertThat(result.exit()).as(result.err()).isZero();
        JsonObject report = JsonParser.parseString(result.out()).getAsJsonObject();
        assertThat(report.get("repeats").getAsInt()).isEqualTo(3);
        assertThat(report.get("decode_tok_s").getAsDouble()).isPositive();
        assertThat(report.get("peak_rss_mb").getAsDouble()).isPositive();
        JsonArray ratios = report.getAsJsonArray("decode_vs_roofline_runs");
        assertThat(ratios).hasSize(3);
        double[] sorted = ratios.asList().stream().mapToDouble(r -> r.getAsDouble()).sorted().toArray();
        assertThat(report.get("decode_vs_roofline").getAsDouble()).isEqualTo(sorted[1]);
    }

    @Test
    void refusesFewerThanOneRun() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);

        CliRun.Result result = CliRun.run("", "bench", "--model", model.toString(), "--repeat", "0");

        assertThat(result.exit()).isNotZero();
        assertThat(result.err()).contains("--repeat must be at least 1");
    }
}
