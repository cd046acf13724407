package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.Launcher;
import dev.parlance.models.FakeHub;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance models} against a local server that behaves like the Hub. */
class ModelsCommandTest {
    private static final byte[] GGUF = new byte[50_000];

    static {
        new Random(7).nextBytes(GGUF);
    }

    @TempDir
    Path models;
    private FakeHub server;

    @BeforeEach
    void startServer() throws IOException {
        server = new FakeHub()
                .file("parlance-test/tiny-GGUF", "tiny-Q4_K_M.gguf", GGUF)
                .file("Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", GGUF);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void pullOfARepositoryPrintsPlainProgressLinesWhenPipedAndInstallsIt() throws IOException {
        CliRun.Result pull = pull("parlance-test/tiny-GGUF");

        assertThat(pull.exit()).as(pull.err()).isZero();
        assertThat(pull.out()).startsWith("Downloading tiny-Q4_K_M.gguf: 1 file, 50 kB\n")
                .contains("100%  50 kB of 50 kB").contains("verified tiny-Q4_K_M.gguf\n")
                .endsWith("Installed " + models.resolve("tiny-Q4_K_M.gguf") + "\n")
                .doesNotContain("\r");
        assertThat(Files.readAllBytes(models.resolve("tiny-Q4_K_M.gguf"))).isEqualTo(GGUF);

        CliRun.Result list = CliRun.run("", "models", "list", "--models-dir", models.toString());
        assertThat(list.out()).startsWith("1 model in " + models).contains("tiny-Q4_K_M.gguf").contains("GGUF file");
    }

    @Test
    void pullOfACatalogIdFetchesItsVariantFromTheEndpoint() throws IOException {
        CliRun.Result pull = pull("qwen3-0.6b:Q8_0");

        assertThat(pull.exit()).as(pull.err()).isZero();
        assertThat(Files.readAllBytes(models.resolve("Qwen3-0.6B-Q8_0.gguf"))).isEqualTo(GGUF);
        assertThat(server.requests()).anyMatch(r -> r.path().equals("/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf"));
    }

    @Test
    void aVariantTheCatalogDoesNotHaveIsNamedWithTheOnesItHas() {
        CliRun.Result pull = pull("qwen3-4b:Q2_K");
        assertThat(pull.exit()).isEqualTo(1);
        assertThat(pull.err()).contains("qwen3-4b has no variant \"Q2_K\"; it has Q4_K_M, Q8_0");
    }

    @Test
    void aFailedPullSaysWhatHappenedOnStderr() {
        CliRun.Result pull = pull("parlance-test/not-there");
        assertThat(pull.exit()).isEqualTo(1);
        assertThat(pull.err()).startsWith("parlance: There is no model parlance-test/not-there at " + server.endpoint());
        assertThat(models.resolve("not-there")).doesNotExist();
    }

    @Test
    void rmRemovesAModelByNameOrCatalogId() throws IOException {
        assertThat(pull("qwen3-0.6b:Q8_0").exit()).isZero();
        Files.createDirectories(models.resolve(".downloads/tiny-Q4_K_M.gguf"));
        Files.write(models.resolve(".downloads/tiny-Q4_K_M.gguf/tiny-Q4_K_M.gguf.part"), new byte[10]);

        CliRun.Result byId = CliRun.run("", "models", "rm", "qwen3-0.6b", "--models-dir", models.toString());
        assertThat(byId.exit()).isZero();
        assertThat(byId.out()).isEqualTo("Removed " + models.resolve("Qwen3-0.6B-Q8_0.gguf") + "\n");
        CliRun.Result partial = CliRun.run("", "models", "rm", "tiny-Q4_K_M.gguf", "--models-dir", models.toString());
        assertThat(partial.out()).isEqualTo("Removed the unfinished download of tiny-Q4_K_M.gguf\n");
        assertThat(models.resolve(".downloads/tiny-Q4_K_M.gguf")).doesNotExist();

        CliRun.Result again = CliRun.run("", "models", "rm", "qwen3-0.6b", "--models-dir", models.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("no model \"qwen3-0.6b\"");
    }

    @Test
    void listShowsUnfinishedDownloadsApartFromModels() throws IOException {
        Files.createDirectories(models.resolve(".downloads/big.gguf"));
        Files.write(models.resolve(".downloads/big.gguf/big.gguf.part"), new byte[3000]);
        Files.writeString(models.resolve(".downloads/big.gguf/download.json"), "{\"big.gguf\": {\"size\": 9000}}");

        CliRun.Result list = CliRun.run("", "models", "list", "--models-dir", models.toString());
        assertThat(list.out()).startsWith("No models in " + models)
                .containsPattern("big\\.gguf +3 kB of 9 kB");
    }

    @Test
    void searchShowsEachVariantsFitAndSize() {
        CliRun.Result search = CliRun.run("", "models", "search", "qwen3-4b", "--models-dir", models.toString());
        assertThat(search.exit()).isZero();
        assertThat(search.out()).contains("qwen3-4b  Qwen3 4B  (Qwen/Qwen3-4B-GGUF; 4.0B parameters, context 40,960; apache-2.0)")
                .containsPattern("Q4_K_M +2\\.5 GB  (fits|tight|too big|unknown) +needs 4\\.3 GB of memory");
        CliRun.Result phi = CliRun.run("", "models", "search", "phi", "--models-dir", models.toString());
        assertThat(phi.out()).contains("phi-4-mini  Phi-4-mini Instruct").doesNotContain("not run by this Parlance yet");
        CliRun.Result gemma = CliRun.run("", "models", "search", "gemma-3-1b", "--models-dir", models.toString());
        assertThat(gemma.out()).contains("1.0B parameters");
    }

    @Test
    void theEndpointComesFromHfEndpoint() throws Exception {
        launch(Map.of("HF_ENDPOINT", server.endpoint().toString()),
                "models", "pull", "parlance-test/tiny-GGUF", "--models-dir", models.toString());
        assertThat(Files.readAllBytes(models.resolve("tiny-Q4_K_M.gguf"))).isEqualTo(GGUF);
    }

    @Test
    void listShowsModelsOtherProgramsDownloadedAndWhereTheyAre() throws Exception {
        Path hfHome = models.resolve("hf");
        Path gguf = hfHome.resolve("hub/models--o--Tiny-GGUF/snapshots/1/Tiny-Q8_0.gguf");
        Files.createDirectories(gguf.getParent());
        Files.writeString(gguf, "GGUF");
        Path ollama = models.resolve("ollama");
        Files.createDirectories(ollama.resolve("manifests/registry.ollama.ai/library/tiny"));
        Files.writeString(ollama.resolve("manifests/registry.ollama.ai/library/tiny/latest"),
                "{\"layers\": [{\"mediaType\": \"application/vnd.ollama.image.model\", \"digest\": \"sha256:ab\"}]}");
        Files.createDirectories(ollama.resolve("blobs"));
        Files.writeString(ollama.resolve("blobs/sha256-ab"), "GGUF");

        String output = launch(Map.of("HF_HOME", hfHome.toString(), "OLLAMA_MODELS", ollama.toString()),
                "models", "list", "--models-dir", models.resolve("none").toString());

        assertThat(output).contains("Found on this computer (used where they are, not copied; load one with --model PATH):")
                .containsPattern("o/Tiny-GGUF@1/Tiny-Q8_0.gguf +0 kB  Hugging Face cache +" + Pattern.quote(gguf.toString()))
                .containsPattern("tiny:latest +0 kB  Ollama +" + Pattern.quote(ollama.resolve("blobs/sha256-ab").toString()));
    }

    /** Runs {@code parlance} in a new JVM with these environment variables; returns stdout and stderr. */
    private static String launch(Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Launcher.class.getName()));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("HF_TOKEN");
        builder.environment().putAll(env);
        Process process = builder.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    private CliRun.Result pull(String id) {
        return CliRun.run("", "models", "pull", id, "--endpoint", server.endpoint().toString(),
                "--models-dir", models.toString());
    }
}
