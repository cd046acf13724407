package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parlance.AppDirectories;
import dev.parlance.Launcher;
import dev.parlance.chat.ChatListener;
import dev.parlance.chat.ChatReply;
import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.WeightFormat;
import dev.parlance.server.OpenAiServer;
import dev.parlance.server.ServerConfig;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RemoteServers;
import dev.parlance.service.remote.ScriptedServer;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.SqliteConversationStore;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parlance chat --server} against {@code parlance serve} on loopback in this JVM, serving
 * stories260K: the answers are the engine's own (asked directly), saved as a local chat's are.
 * The key of the keyed server is this process's PATH, so that --api-key-env has a variable to name.
 */
class RemoteChatCommandTest {
    private static final int MAX_TOKENS = 24;
    private static final List<String> TWO_MESSAGES = List.of("Once upon a time", "Lily saw a dog");

    @TempDir
    Path dir;
    private static Path model;
    private static DjlInferenceService engine;
    private static OpenAiServer server;
    private static OpenAiServer keyed;

    @BeforeAll
    static void serve() throws Exception {
        model = SharedData.require("models/stories260K");
        engine = new DjlInferenceService();
        engine.load(model, WeightFormat.STORED, f -> { }).join();
        server = new OpenAiServer(engine, ServerConfig.loopback(0));
        server.start();
        keyed = new OpenAiServer(engine, ServerConfig.loopback(0).withApiKey(System.getenv("PATH")));
        keyed.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            keyed.close();
            server.close();
            engine.close();
        }
    }

    private static CliRun.Result chat(String url, String stdin, String... extra) {
        List<String> args = new ArrayList<>(List.of("chat", "--server", url, "--model", "stories260K",
                "--temperature", "0", "--max-tokens", String.valueOf(MAX_TOKENS)));
        args.addAll(List.of(extra));
        return CliRun.run(stdin, args.toArray(new String[0]));
    }

    /** The engine's greedy answers to these messages, turn by turn, asked without any server. */
    private static List<String> engineAnswers(List<String> userMessages) throws Exception {
        List<Message> conversation = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        try (LanguageModel lm = LanguageModel.load(model, f -> { });
                ChatSession session = new ChatSession(lm, ChatTemplate.fromModelFolder(model), 0)) {
            SamplingOptions options = new SamplingOptions();
            options.temperature = 0.0;
            options.maxTokens = MAX_TOKENS;
            SamplingConfig sampling = options.apply(lm.defaults().sampling());
            for (String text : userMessages) {
                conversation.add(Message.user(text));
                ChatReply reply = session.reply(conversation, sampling, new ChatListener() {
                    @Override
                    public void onText(String delta) { }
                }, () -> false);
                conversation.add(Message.assistant(reply.answer()));
                answers.add(reply.answer());
            }
        }
        return answers;
    }

    @Test
    void answersStreamFromTheServerAndAreSavedAsALocalChatsAre() throws Exception {
        Path data = dir.resolve("data");
        List<String> expected = engineAnswers(TWO_MESSAGES);

        CliRun.Result result = chat(server.baseUrl().toString(), String.join("\n", TWO_MESSAGES) + "\n/inspect\n",
                "--save", "--data-dir", data.toString());

        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).startsWith(expected.get(0) + "\n" + expected.get(1) + "\n" + ChatRepl.PROMPT_HEADER);
        assertThat(result.out()).contains("\"content\": \"Lily saw a dog\"").contains("not known here");
        try (SqliteConversationStore store = SqliteConversationStore.open(data)) {
            assertThat(store.conversations()).hasSize(1);
            assertThat(store.conversations().get(0).model()).isEqualTo("stories260K");
            List<MessageRecord> messages = store.messages(store.conversations().get(0).id(), 0, 10);
            assertThat(messages).extracting(MessageRecord::role)
                    .containsExactly(Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT);
            assertThat(messages.get(3).content()).isEqualTo(expected.get(1));
            assertThat(messages.get(3).finish()).isEqualTo(FinishReason.LENGTH);
            assertThat(messages.get(3).stats().tokens()).isEqualTo(MAX_TOKENS);
        }
    }

    @Test
    void theKeyComesFromTheNamedVariable() throws Exception {
        CliRun.Result result = chat(keyed.baseUrl().toString(), "Once upon a time\n", "--api-key-env", "PATH");
        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo(engineAnswers(List.of("Once upon a time")).get(0) + "\n");
    }

    @Test
    void aWrongKeyIsSaidAndNotShown() {
        CliRun.Result none = chat(keyed.baseUrl().toString(), "Hello\n");
        assertThat(none.exit()).isEqualTo(CliSupport.EXIT_MODEL);
        assertThat(none.err()).contains("wants an API key, and none is set for it. (HTTP 401");

        try (OpenAiServer other = new OpenAiServer(engine, ServerConfig.loopback(0).withApiKey("another-key"))) {
            other.start();
            CliRun.Result wrong = chat(other.baseUrl().toString(), "Hello\n", "--api-key-env", "PATH");
            assertThat(wrong.exit()).isEqualTo(CliSupport.EXIT_MODEL);
            assertThat(wrong.err()).contains("refused the API key. (HTTP 401: Incorrect API key provided.)")
                    .doesNotContain(System.getenv("PATH")).doesNotContain("another-key");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aServerAddedInTheAppIsFoundByNameWithItsKey() throws Exception {
        Path data = dir.resolve("data");
        RemoteServers.in(data).add(new RemoteServer("Workstation", keyed.baseUrl(), System.getenv("PATH")));
        CliRun.Result result = CliRun.run("Once upon a time\n", "chat", "--server", "workstation", "--model",
                "stories260K", "--temperature", "0", "--max-tokens", String.valueOf(MAX_TOKENS), "--data-dir",
                data.toString());
        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo(engineAnswers(List.of("Once upon a time")).get(0) + "\n");

        CliRun.Result unknown = CliRun.run("Hi\n", "chat", "--server", "laptop", "--model", "x", "--data-dir",
                data.toString());
        assertThat(unknown.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(unknown.err()).contains("no server named 'laptop' was added");
    }

    @Test
    void aModelTheServerDoesNotHaveIsNamed() {
        CliRun.Result result = CliRun.run("Hi\n", "chat", "--server", server.baseUrl().toString(), "--model", "gpt-4");
        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_MODEL);
        assertThat(result.err()).contains("has no model 'gpt-4'; it serves stories260K.");
    }

    @Test
    void aServerThatIsNotThereIsSaid() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        CliRun.Result result = chat("http://127.0.0.1:" + port, "Hi\n");
        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_MODEL);
        assertThat(result.err()).contains("refused the connection: nothing answers at 127.0.0.1:" + port);
    }

    @Test
    void aServerThatGoesAwayMidAnswerLeavesTheTextAndTheChatGoesOn() throws Exception {
        try (ScriptedServer scripted = new ScriptedServer(e -> ScriptedServer.events(e,
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once there\"}}]}").close())) {
            CliRun.Result result = CliRun.run("Hi\nAgain\n", "chat", "--server", scripted.baseUrl().toString(),
                    "--model", "scripted");
            assertThat(result.exit()).isZero();
            assertThat(result.out()).isEqualTo("Once there\nOnce there\n");
            assertThat(result.err()).containsSubsequence("ended the answer's stream before it was complete",
                    "ended the answer's stream before it was complete");
        }
    }

    @Test
    void ctrlCStopsTheAnswerAndTheChatGoesOn() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/kill")), "skipped: no /bin/kill to send SIGINT with");
        ScriptedServer[] self = new ScriptedServer[1];
        try (ScriptedServer scripted = new ScriptedServer(e -> {
            ScriptedServer.events(e, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once upon\"}}]}");
            self[0].holdOpen();
        })) {
            self[0] = scripted;
            // a process of its own: Ctrl+C at the prompt ends the JVM, which must not be the test's
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder builder = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector", "-cp",
                    System.getProperty("java.class.path"), Launcher.class.getName(), "chat", "--server",
                    scripted.baseUrl().toString(), "--model", "scripted", "--save").redirectErrorStream(true);
            builder.environment().put(AppDirectories.DATA_DIR_ENV, dir.toString());
            Process process = builder.start();
            StringBuffer output = new StringBuffer();
            Thread reader = new Thread(() -> {
                try (InputStreamReader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
                    char[] buffer = new char[256];
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        output.append(buffer, 0, n);
                    }
                } catch (IOException e) {
                    output.append(e);
                }
            });
            reader.start();
            try (Writer stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
                stdin.write("Tell me a story\n");
                stdin.flush();
                awaitOutput(output, "Once upon");
                interrupt(process);
                awaitOutput(output, "(stopped)");
                stdin.write("/exit\n");
                stdin.flush();
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                process.destroyForcibly();
            }
            reader.join(5000);
            assertThat(process.exitValue()).as(output.toString()).isZero();
        }
        try (SqliteConversationStore store = SqliteConversationStore.open(dir)) {
            List<MessageRecord> messages = store.messages(store.conversations().get(0).id(), 0, 10);
            assertThat(messages.get(1).content()).isEqualTo("Once upon");
            assertThat(messages.get(1).finish()).isEqualTo(FinishReason.CANCELLED);
        }
    }

    private static void awaitOutput(StringBuffer output, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (output.indexOf(text) < 0) {
            assertThat(System.nanoTime()).as("waited for \"%s\" in:%n%s", text, output).isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    private static void interrupt(Process process) throws Exception {
        Process kill = new ProcessBuilder("/bin/kill", "-INT", String.valueOf(process.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
}
