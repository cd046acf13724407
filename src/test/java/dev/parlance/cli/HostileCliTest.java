package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.parlance.Launcher;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.io.IOException;
import java.io.StringReader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Command-line inputs and outputs an unlucky user meets (issue 14, items 3 and 4). */
class HostileCliTest {
    @TempDir
    Path dir;

    private static String stories() {
        return SharedData.require("models/stories260K").toString();
    }

    /** Stdout that takes {@code capacity} characters, then fails every write as {@code problem}. */
    private static final class FailingOutput extends Writer {
        private final StringBuilder text = new StringBuilder();
        private final int capacity;
        private final String problem;

        FailingOutput(int capacity, String problem) {
            this.capacity = capacity;
            this.problem = problem;
        }

        @Override
        public void write(char[] chars, int offset, int length) throws IOException {
            if (text.length() + length > capacity) {
                throw new IOException(problem);
            }
            text.append(chars, offset, length);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    @Test
    void maxTokensZeroGeneratesNoToken() {
        var result = CliRun.run("", "generate", "--model", stories(), "--prompt", "Once upon a time",
                "--max-tokens", "0", "--json");
        assertThat(result.exit()).as(result.err()).isZero();
        JsonObject json = JsonParser.parseString(result.out()).getAsJsonObject();
        assertThat(json.getAsJsonArray("ids")).isEmpty();
        assertThat(json.get("text").getAsString()).isEmpty();
        assertThat(json.get("finish_reason").getAsString()).isEqualTo("length");
    }

    @Test
    void logprobsThatAreNotNumbersAreWrittenAsNullSoTheOutputStaysJson() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("nan-model"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);
        // a final norm of NaN: every logit, and so every log-probability, is NaN
        SafeTensors.TensorInfo norm = SafeTensors.open(model).tensors().get("model.norm.weight");
        try (FileChannel file = FileChannel.open(model.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            ByteBuffer nan = ByteBuffer.allocate((int) norm.length()).order(ByteOrder.LITTLE_ENDIAN);
            while (nan.hasRemaining()) {
                nan.putFloat(Float.NaN);
            }
            file.write(nan.flip(), norm.offset());
        }
        var result = CliRun.run("", "generate", "--model", model.toString(), "--prompt-ids", "1,2,3",
                "--max-tokens", "2", "--logprobs", "2", "--json");
        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).doesNotContain("NaN").doesNotContain("Infinity");
        JsonReader strict = new JsonReader(new StringReader(result.out()));
        strict.setStrictness(Strictness.STRICT);
        JsonObject json = JsonParser.parseReader(strict).getAsJsonObject();
        JsonObject first = json.getAsJsonArray("logprobs").get(0).getAsJsonObject();
        assertThat(first.get("logprob").isJsonNull()).isTrue();
        assertThat(first.getAsJsonArray("top_logprobs").get(0).getAsJsonObject().get("logprob").isJsonNull()).isTrue();
    }

    @Test
    void aNegativeLogprobsCountIsRefusedNotIgnored() {
        var result = CliRun.run("", "generate", "--model", stories(), "--prompt", "Once", "--logprobs", "-1", "--json");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("--logprobs must be >= 0, was -1");
    }

    @Test
    void promptWithAModelThatDoesNotExistFailsInsteadOfPrintingAPlainPrompt() throws IOException {
        Path messages = Files.writeString(dir.resolve("chat.json"), "[{\"role\": \"user\", \"content\": \"hi\"}]");
        var result = CliRun.run("", "prompt", "--model", dir.resolve("no/such/dir").toString(),
                "--messages", messages.toString());
        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_MODEL);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).contains("no such file or folder");
    }

    @Test
    void promptWithAFolderThatHoldsNoModelFails() throws IOException {
        Path messages = Files.writeString(dir.resolve("chat.json"), "[{\"role\": \"user\", \"content\": \"hi\"}]");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        var result = CliRun.run("", "prompt", "--model", empty.toString(), "--messages", messages.toString());
        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_MODEL);
        assertThat(result.err()).contains("is not a model folder");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5"})
    void chatRefusesAContextThatHoldsNoToken(String context) {
        var result = CliRun.run("Hello\n", "chat", "--model", stories(), "--context", context);
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("--context must be at least 1 token, was " + context);
    }

    @Test
    void outputOnAFullDiskIsAnErrorNotExitCodeZero() {
        var out = new FailingOutput(0, "No space left on device");
        var result = CliRun.run("", out, "generate", "--model", stories(), "--prompt", "Once upon a time",
                "--max-tokens", "5", "--temperature", "0", "--json");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("parlance: cannot write the output: No space left on device")
                .doesNotContain("\tat ");
    }

    @Test
    void aClosedPipeEndsGenerateAsSigpipeWouldWithoutAMessage() {
        var out = new FailingOutput(30, "Broken pipe");
        var result = CliRun.run("", out, "generate", "--model", stories(), "--prompt", "Once upon a time",
                "--max-tokens", "400", "--temperature", "0");
        assertThat(result.exit()).isEqualTo(ParlanceCommand.EXIT_READER_GONE);
        assertThat(out.toString()).startsWith(", there was").hasSizeLessThanOrEqualTo(30);
        assertThat(result.err()).isEmpty();
    }

    @Test
    void anAnswerNobodyCanReadIsStoppedAndTheChatEnds() {
        var out = new FailingOutput(30, "No space left on device");
        var result = CliRun.run("Once upon a time\nLily saw a dog\n", out, "chat", "--model", stories(),
                "--temperature", "0", "--max-tokens", "400");
        assertThat(result.exit()).isEqualTo(1);
        // stopped at the first failed write, not written on to its limit, and no second answer
        assertThat(result.err()).containsOnlyOnce("(stopped)").doesNotContain("reached its limit")
                .contains("cannot write the output: No space left on device");
    }

    @Test
    void chatWithStandardInputClosedSaysSoInsteadOfReadingTheJvmsFiles() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "skipped: no /proc/self/fd (not Linux)");
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "skipped: no /bin/sh to close stdin with");
        assertThat(StandardInput.isClosed()).as("the test's own stdin is open").isFalse();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // the shell closes descriptor 0 before the JVM starts, as "parlance chat <&-" does
        Process process = new ProcessBuilder("/bin/sh", "-c", "exec \"$0\" -cp \"$1\" \"$2\" chat --model \"$3\" <&-",
                java.toString(), System.getProperty("java.class.path"), Launcher.class.getName(),
                dir.resolve("any-model").toString()).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output).contains("standard input is closed");
    }
}
