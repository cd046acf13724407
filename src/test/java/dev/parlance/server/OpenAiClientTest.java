package dev.parlance.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parlance.Launcher;
import dev.parlance.inference.SharedData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official {@code openai} npm package (pinned in {@code src/test/openai-client/package-lock.json},
 * installed by {@code npm ci --prefix src/test/openai-client}) as a real client of {@code parlance serve}
 * run as its own process, as a user runs it: see {@code client.mjs} for what it checks.
 */
class OpenAiClientTest {
    private static final Path CLIENT = Path.of("src", "test", "openai-client");
    private static final Pattern URL = Pattern.compile("at (http://\\S+/v1)");
    private static final String KEY = "test-key-" + Long.toHexString(System.nanoTime());

    @ParameterizedTest
    @ValueSource(strings = {"models/stories260K", "fixtures/tiny-qwen2"})
    void theOfficialClientTalksToParlanceServe(String model) throws Exception {
        Path folder = SharedData.require(model);
        assumeTrue(nodeWorks(), "skipped: Node.js 18 or later is not installed (the openai package needs it)");
        assumeTrue(Files.isDirectory(CLIENT.resolve("node_modules").resolve("openai")),
                "skipped: run 'npm ci --prefix " + CLIENT + "' first to install the openai package");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process server = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Launcher.class.getName(), "serve", "--model", folder.toString(), "--port", "0", "--api-key", KEY))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String url = awaitUrl(server);
            Process node = new ProcessBuilder("node", "client.mjs", url, KEY, folder.getFileName().toString())
                    .directory(CLIENT.toFile()).redirectErrorStream(true).start();
            boolean ended = node.waitFor(180, TimeUnit.SECONDS);
            String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            node.destroyForcibly();
            assertThat(ended).as("node ended").isTrue();
            assertThat(node.exitValue()).as(output).isZero();
            assertThat(output).startsWith("ok: " + folder.getFileName());
        } finally {
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** The base URL that {@code parlance serve} prints once it listens. */
    private static String awaitUrl(Process server) throws IOException {
        var out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            Matcher url = URL.matcher(line);
            if (line.startsWith("Serving ") && url.find()) {
                return url.group(1);
            }
        }
        throw new AssertionError("parlance serve ended without serving (exit " + server.exitValue() + ")");
    }

    /** Whether {@code node} runs and is at least version 18, which the openai package needs. */
    private static boolean nodeWorks() {
        try {
            Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String version = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            Matcher major = Pattern.compile("^v(\\d+)\\.").matcher(version);
            return node.waitFor(30, TimeUnit.SECONDS) && node.exitValue() == 0 && major.find()
                    && Integer.parseInt(major.group(1)) >= 18;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
