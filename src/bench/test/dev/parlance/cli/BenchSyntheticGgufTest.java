package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance bench --synthetic SHAPE --format TYPE}: the GGUF form of the synthetic model. */
class BenchSyntheticGgufTest {
    @TempDir
    Path dir;

    private static JsonObject bench(String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("bench", "--synthetic", "tiny", "--prompt-tokens", "4",
                "--decode-tokens", "2", "--repeat", "1", "--threads", "1", "--json"));
        args.addAll(List.of(options));
        CliRun.Result result = CliRun.run("", args.toArray(String[]::new));
        assertThat(result.exit()).as(result.err()).isZero();
        return JsonParser.parseString(result.out()).getAsJsonObject();
    }

    @Test
    void benchesAQuantizedGgufFileOfTheShapeAndKeepsItWhenAsked() throws Exception {
        JsonObject folder = bench();
        JsonObject q40 = bench("--format", "q4_0", "--keep-synthetic", dir.toString());

        assertThat(dir.resolve("tiny-Q4_0.gguf")).isRegularFile();
        assertThat(q40.get("model").getAsString()).isEqualTo("synthetic tiny Q4_0 GGUF");
        assertThat(q40.get("parameters").getAsLong()).isEqualTo(folder.get("parameters").getAsLong());
        // 18 bytes per 32 weights instead of 128
        assertThat(q40.get("weight_mb").getAsDouble()).isLessThan(folder.get("weight_mb").getAsDouble() / 3);
        assertThat(q40.get("decode_tok_s").getAsDouble()).isPositive();
    }

    @Test
    void refusesAnUnknownFormat() throws Exception {
        CliRun.Result result = CliRun.run("", "bench", "--synthetic", "tiny", "--format", "q3_k");

        assertThat(result.exit()).isNotZero();
        assertThat(result.err()).contains("unknown --format q3_k");
    }
}
