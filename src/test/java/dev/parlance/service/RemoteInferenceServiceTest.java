package dev.parlance.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.chat.Message;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.inference.WeightFormat;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import dev.parlance.server.OpenAiServer;
import dev.parlance.server.ServerConfig;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.service.remote.Answers;
import dev.parlance.service.remote.RemoteException;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.ScriptedServer;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client of a remote server: against {@code parlance serve} on loopback (answers checked
 * against the engine's own, asked directly), and against scripted servers for what a Parlance
 * server never does.
 */
class RemoteInferenceServiceTest {
    private static final String KEY = "sk-test-4f9a2c";
    private static final List<Message> HELLO = List.of(Message.system("Be brief"), Message.user("Tell me"));
    private static final ChatOptions GREEDY = new ChatOptions(SamplingConfig.greedy(12), 0, null);

    @TempDir
    static Path dir;
    private static DjlInferenceService engine;
    private static OpenAiServer server;
    private static OpenAiServer keyed;

    @BeforeAll
    static void serve() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 11);
        engine = new DjlInferenceService();
        engine.load(model, WeightFormat.STORED, f -> { }).join();
        server = new OpenAiServer(engine, ServerConfig.loopback(0));
        server.start();
        keyed = new OpenAiServer(engine, ServerConfig.loopback(0).withApiKey(KEY));
        keyed.start();
    }

    @AfterAll
    static void stop() {
        keyed.close();
        server.close();
        engine.close();
    }

    private static RemoteInferenceService client(URI url, String key) {
        return new RemoteInferenceService(new RemoteServer("test", url, key), Duration.ofSeconds(2));
    }

    private static Answers chat(RemoteInferenceService client) throws InterruptedException {
        Answers answers = new Answers();
        client.chat(HELLO, GREEDY, answers);
        assertThat(answers.awaitEnd()).isTrue();
        assertThat(answers.ends()).isEqualTo(1);
        return answers;
    }

    private static String failure(Answers answers) {
        assertThat(answers.failure()).as("the answer should have failed").isInstanceOf(RemoteException.class);
        return answers.failure().getMessage();
    }

    @Test
    void modelsAreTheServersList() {
        try (RemoteInferenceService client = client(server.baseUrl(), null)) {
            assertThat(client.models().join()).containsExactly("tiny");
        }
    }

    @Test
    void aStreamedAnswerIsTheEnginesAnswerWithItsUsage() throws Exception {
        Answers local = new Answers();
        engine.chat(HELLO, GREEDY, local);
        assertThat(local.awaitEnd()).isTrue();

        try (RemoteInferenceService client = client(server.baseUrl(), null)) {
            assertThat(client.load("tiny").join().name()).isEqualTo("tiny");
            Answers remote = chat(client);
            assertThat(remote.failure()).isNull();
            assertThat(remote.text()).isEqualTo(local.text());
            assertThat(remote.finish()).isEqualTo(local.finish());
            assertThat(remote.stats().promptTokens()).isEqualTo(local.stats().promptTokens());
            assertThat(remote.stats().generatedTokens()).isEqualTo(local.stats().generatedTokens());
        }
    }

    @Test
    void continuingAnAnswerFromATokenIsRefusedSayingWhy() {
        List<TokenLogprob> prefix = List.of(new TokenLogprob(7, "Once", -0.5, List.of()));
        try (RemoteInferenceService client = client(server.baseUrl(), null)) {
            assertThatThrownBy(() -> client.chat(HELLO, GREEDY.continuing(prefix), new Answers()))
                    .isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("A remote server cannot continue from a token");
        }
    }

    @Test
    void theRightKeyIsSentAsABearerToken() throws Exception {
        try (RemoteInferenceService client = client(keyed.baseUrl(), KEY)) {
            client.load("tiny").join();
            assertThat(chat(client).failure()).isNull();
        }
    }

    @Test
    void aWrongKeyIsRefusedWithoutShowingIt() {
        String wrong = "sk-wrong-77e1";
        try (RemoteInferenceService client = client(keyed.baseUrl(), wrong)) {
            assertThat(client.models()).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                    .withMessageContaining("refused the API key. (HTTP 401: Incorrect API key provided.)")
                    .withMessageNotContaining(wrong).withMessageNotContaining(KEY);
        }
        try (RemoteInferenceService client = client(keyed.baseUrl(), null)) {
            assertThat(client.models()).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                    .withMessageContaining("wants an API key, and none is set for it");
        }
    }

    @Test
    void aModelTheServerDoesNotListIsNamed() {
        try (RemoteInferenceService client = client(server.baseUrl(), null)) {
            assertThat(client.load("gpt-4")).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                    .withMessageContaining("has no model 'gpt-4'; it serves tiny.");
        }
    }

    @Test
    void aClosedPortIsAConnectionRefused() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (RemoteInferenceService client = client(URI.create("http://127.0.0.1:" + port), null)) {
            assertThat(client.models().handle((ok, e) -> e.getCause().getMessage()).join())
                    .contains("refused the connection: nothing answers at 127.0.0.1:" + port);
        }
    }

    @Test
    void reasoningUsageAndLengthComeFromTheStream() throws Exception {
        try (ScriptedServer scripted = new ScriptedServer(e -> ScriptedServer.events(e,
                "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Hm.\"}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"length\"}]}",
                "{\"choices\":[],\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":3,\"total_tokens\":20,"
                        + "\"prompt_tokens_details\":{\"cached_tokens\":5}}}",
                "[DONE]").close());
                RemoteInferenceService client = client(scripted.baseUrl(), KEY)) {
            client.load("scripted").join();
            Answers answers = chat(client);
            assertThat(answers.reasoning()).isEqualTo("Hm.");
            assertThat(answers.text()).isEqualTo("Hello");
            assertThat(answers.finish()).isEqualTo(FinishReason.LENGTH);
            assertThat(answers.stats().promptTokens()).isEqualTo(17);
            assertThat(answers.stats().reusedTokens()).isEqualTo(5);
            assertThat(answers.stats().generatedTokens()).isEqualTo(3);
            assertThat(scripted.lastHeader("authorization")).isEqualTo("Bearer " + KEY);
            JsonObject sent = JsonParser.parseString(scripted.lastBody()).getAsJsonObject();
            assertThat(sent.get("model").getAsString()).isEqualTo("scripted");
            assertThat(sent.get("stream").getAsBoolean()).isTrue();
            assertThat(sent.getAsJsonObject("stream_options").get("include_usage").getAsBoolean()).isTrue();
            assertThat(sent.get("temperature").getAsDouble()).isZero();
            assertThat(sent.get("max_tokens").getAsInt()).isEqualTo(12);
            assertThat(sent.getAsJsonArray("messages")).hasSize(2);
        }
    }

    @Test
    void cancelClosesTheStreamAndKeepsTheText() throws Exception {
        ScriptedServer[] self = new ScriptedServer[1];
        try (ScriptedServer scripted = new ScriptedServer(e -> {
            ScriptedServer.events(e, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}");
            self[0].holdOpen();
        })) {
            self[0] = scripted;
            try (RemoteInferenceService client = client(scripted.baseUrl(), null)) {
                client.load("scripted").join();
                Answers answers = new Answers();
                Generation generation = client.chat(HELLO, GREEDY, answers);
                assertThat(answers.awaitText()).isTrue();
                generation.cancel();
                assertThat(answers.awaitEnd()).isTrue();
                assertThat(answers.finish()).isEqualTo(FinishReason.CANCELLED);
                assertThat(answers.text()).isEqualTo("Once");
                assertThat(answers.ends()).isEqualTo(1);
            }
        }
    }

    @Test
    void aBusyServersRetryAfterIsSaid() throws Exception {
        try (ScriptedServer scripted = new ScriptedServer(e -> {
            e.getResponseHeaders().set("Retry-After", "7");
            ScriptedServer.send(e, 429, "application/json",
                    "{\"error\":{\"message\":\"Too many requests\",\"type\":\"server_error\"}}");
        }); RemoteInferenceService client = client(scripted.baseUrl(), null)) {
            client.load("scripted").join();
            Answers answers = chat(client);
            assertThat(failure(answers)).contains("is busy; try again in 7 s. (HTTP 429: Too many requests)");
            assertThat(((RemoteException) answers.failure()).retryAfter()).isEqualTo(Duration.ofSeconds(7));
        }
    }

    @Test
    void aServerErrorIsSaidWithTheServersMessage() throws Exception {
        try (ScriptedServer scripted = new ScriptedServer(e -> ScriptedServer.send(e, 503, "text/html",
                "<html><body>Bad gateway " + KEY + "</body></html>"));
                RemoteInferenceService client = client(scripted.baseUrl(), KEY)) {
            client.load("scripted").join();
            String message = failure(chat(client));
            assertThat(message).contains("failed to answer. (HTTP 503: <html><body>Bad gateway ***</body></html>)");
            assertThat(message).doesNotContain(KEY);
        }
    }

    @Test
    void aRedirectIsNotFollowedSoTheKeyGoesNowhereElse() throws Exception {
        try (ScriptedServer elsewhere = new ScriptedServer(e -> ScriptedServer.send(e, 200, "text/plain", ""));
                ScriptedServer scripted = new ScriptedServer(e -> {
                    e.getResponseHeaders().set("Location", elsewhere.baseUrl() + "/chat/completions");
                    ScriptedServer.send(e, 307, "text/plain", "");
                });
                RemoteInferenceService client = client(scripted.baseUrl(), KEY)) {
            client.load("scripted").join();
            assertThat(failure(chat(client))).contains("sent the request elsewhere (" + elsewhere.baseUrl());
            assertThat(elsewhere.lastHeader("authorization")).isNull();
        }
    }

    @Test
    void anUnknownModelAtAnswerTimeIsNamed() throws Exception {
        try (ScriptedServer scripted = new ScriptedServer(e -> ScriptedServer.send(e, 404, "application/json",
                "{\"error\":{\"message\":\"The model 'scripted' does not exist\",\"code\":\"model_not_found\"}}"));
                RemoteInferenceService client = client(scripted.baseUrl(), null)) {
            client.load("scripted").join();
            assertThat(failure(chat(client))).contains("has no model 'scripted'. (HTTP 404");
        }
    }

    @Test
    void aStreamThatIsNotJsonIsMalformed() throws Exception {
        try (ScriptedServer scripted = new ScriptedServer(e -> ScriptedServer.events(e,
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}", "<html>oops</html>").close());
                RemoteInferenceService client = client(scripted.baseUrl(), null)) {
            client.load("scripted").join();
            Answers answers = chat(client);
            assertThat(failure(answers)).contains("sent a stream that is not OpenAI's server-sent events")
                    .contains("<html>oops</html>");
            assertThat(answers.text()).isEqualTo("A");
        }
    }

    @Test
    void aStreamCutShortIsSaidAndItsTextKept() throws Exception {
        try (ScriptedServer scripted = new ScriptedServer(e -> ScriptedServer.events(e,
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Half\"}}]}").close());
                RemoteInferenceService client = client(scripted.baseUrl(), null)) {
            client.load("scripted").join();
            Answers answers = chat(client);
            assertThat(failure(answers)).contains("before it was complete. The text so far is kept.");
            assertThat(answers.text()).isEqualTo("Half");
        }
    }

    @Test
    void aSilentServerTimesOut() throws Exception {
        ScriptedServer[] self = new ScriptedServer[1];
        try (ScriptedServer scripted = new ScriptedServer(e -> {
            ScriptedServer.events(e, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Wait\"}}]}");
            self[0].holdOpen();
        })) {
            self[0] = scripted;
            try (RemoteInferenceService client = client(scripted.baseUrl(), null)) {
                client.load("scripted").join();
                Answers answers = chat(client);
                assertThat(failure(answers)).contains("stopped sending the answer: nothing came for 2 s.");
                assertThat(answers.text()).isEqualTo("Wait");
            }
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        ScriptedServer[] self = new ScriptedServer[1];
        try (ScriptedServer scripted = new ScriptedServer(e -> self[0].holdOpen())) {
            self[0] = scripted;
            try (RemoteInferenceService client = client(scripted.baseUrl(), null)) {
                client.load("scripted").join();
                assertThat(failure(chat(client))).contains("did not answer within 2 s.");
            }
        }
    }

    @Test
    void theInspectorShowsTheMessagesAsSentAndNoTokens() {
        try (RemoteInferenceService client = client(server.baseUrl(), null)) {
            var inspection = client.inspect(HELLO, GREEDY).join();
            assertThat(JsonParser.parseString(inspection.prompt()).getAsJsonArray().get(1).getAsJsonObject()
                    .get("content").getAsString()).isEqualTo("Tell me");
            assertThat(inspection.tokenIds()).isEmpty();
        }
    }

    @Test
    void baseUrlsGetTheirV1() {
        assertThat(RemoteServer.parseUrl("http://host:8080")).hasToString("http://host:8080/v1");
        assertThat(RemoteServer.parseUrl("https://gw.example/openai/v1/")).hasToString("https://gw.example/openai/v1");
        assertThat(new RemoteServer("x", URI.create("http://h"), "sk-secret").toString()).doesNotContain("sk-secret");
    }

    @Test
    void retryAfterReadsSecondsAndDates() {
        assertThat(RemoteInferenceService.retryAfter("12")).isEqualTo(Duration.ofSeconds(12));
        assertThat(RemoteInferenceService.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
        assertThat(RemoteInferenceService.retryAfter("soon")).isNull();
    }

    @Test
    void failuresOfLoadAreRemoteExceptions() {
        try (RemoteInferenceService client = client(server.baseUrl(), null)) {
            assertThat(client.load("nope")).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                    .isInstanceOf(java.util.concurrent.ExecutionException.class)
                    .havingCause().isInstanceOf(RemoteException.class);
        }
    }
}
