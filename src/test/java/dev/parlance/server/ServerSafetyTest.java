package dev.parlance.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.WeightFormat;
import dev.parlance.ui.FakeInferenceService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Limits, keys, CORS and cancellation, over a scripted service whose answers take as long as a test needs. */
class ServerSafetyTest {
    private static final String CHAT = """
            {"model": "fake", "messages": [{"role": "user", "content": "Hi"}]}""";

    private final FakeInferenceService fake = new FakeInferenceService().holdLoads();
    private final RecordingInferenceService inference = new RecordingInferenceService(fake);
    private OpenAiServer server;

    private Http serve(ServerConfig config) throws Exception {
        fake.load(Path.of("fake"), WeightFormat.STORED, f -> { });
        server = new OpenAiServer(inference, config);
        server.start();
        return new Http(server.port(), config.apiKey());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        fake.close();
    }

    private static List<String> tokens(int count) {
        return Collections.nCopies(count, "a");
    }

    @Test
    void requestsBeyondTheQueueAreRefusedWith429AndRetryAfter() throws Exception {
        fake.streamScript(tokens(10), 100_000_000); // one second per answer
        Http http = serve(ServerConfig.loopback(0).withLimits(2, 1 << 20, Duration.ofSeconds(30)));
        List<CompletableFuture<HttpResponse<String>>> accepted = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            accepted.add(Http.client().sendAsync(http.request("/v1/chat/completions")
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        assertThat(inference.awaitStarted(2)).isTrue();

        HttpResponse<String> refused = http.post("/v1/chat/completions", CHAT);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("" + ApiHandler.RETRY_AFTER_SECONDS);
        assertThat(Http.json(refused).getAsJsonObject("error").get("type").getAsString()).isEqualTo("rate_limit_exceeded");

        for (var response : accepted) {
            assertThat(response.join().statusCode()).isEqualTo(200);
        }
        HttpResponse<String> next = http.post("/v1/chat/completions", CHAT);
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(Http.json(next).getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message")
                .get("content").getAsString()).isEqualTo("a".repeat(10));
    }

    @Test
    void anAnswerSlowerThanTheIdleTimeoutStillArrives() throws Exception {
        fake.streamScript(tokens(3), 1_000_000_000L); // three seconds of silence on the connection
        Http http = serve(ServerConfig.loopback(0).withLimits(2, 1 << 20, Duration.ofSeconds(1)));
        HttpResponse<String> response = http.post("/v1/chat/completions", CHAT);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(Http.json(response).getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message")
                .get("content").getAsString()).isEqualTo("aaa");
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsAnswer() throws Exception {
        fake.streamScript(tokens(5000), 2_000_000);
        Http http = serve(ServerConfig.loopback(0));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            byte[] body = CHAT.replace("}]}", "}], \"stream\": true}").getBytes(StandardCharsets.UTF_8);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.startsWith("data: "));
            assertThat(line).contains("chat.completion.chunk");
        }
        assertThat(inference.awaitCancelled()).isTrue();

        fake.streamScript(tokens(3), 0);
        assertThat(http.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
    }

    @Test
    void withAKeyOnlyRequestsThatCarryItAreAnswered() throws Exception {
        fake.streamScript(tokens(2), 0);
        Http right = serve(ServerConfig.loopback(0).withApiKey("s3cret"));
        Http none = new Http(server.port());
        Http wrong = new Http(server.port(), "s3cre");

        assertThat(right.get("/v1/models").statusCode()).isEqualTo(200);
        assertThat(right.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
        for (Http refused : List.of(none, wrong)) {
            HttpResponse<String> models = refused.get("/v1/models");
            assertThat(models.statusCode()).isEqualTo(401);
            assertThat(Http.json(models).getAsJsonObject("error").get("code").getAsString()).isEqualTo("invalid_api_key");
            assertThat(refused.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(401);
        }
        assertThat(right.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
    }

    @Test
    void anAddressBeyondThisMachineNeedsAKey() {
        assertThatThrownBy(() -> new OpenAiServer(inference, ServerConfig.loopback(0).withHost("0.0.0.0")))
                .isInstanceOf(OpenAiServer.UnsafeBindException.class)
                .hasMessageContaining("refusing to serve on 0.0.0.0 without an API key");
        new OpenAiServer(inference, ServerConfig.loopback(0).withHost("0.0.0.0").withApiKey("k")).close();
        new OpenAiServer(inference, ServerConfig.loopback(0).withHost("localhost")).close();
        new OpenAiServer(inference, ServerConfig.loopback(0).withHost("::1")).close();
    }

    @Test
    void noCorsUnlessAnOriginIsGiven() throws Exception {
        Http http = serve(ServerConfig.loopback(0));
        HttpResponse<String> plain = Http.client().send(http.request("/v1/models").header("Origin", "https://example.org")
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        HttpResponse<String> preflight = Http.client().send(http.request("/v1/chat/completions")
                .header("Origin", "https://example.org").method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(405);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void aGivenOriginMayCallTheApiFromABrowser() throws Exception {
        Http http = serve(ServerConfig.loopback(0).withCorsOrigin("https://example.org").withApiKey("k"));
        HttpResponse<String> preflight = Http.client().send(http.request("/v1/chat/completions")
                .header("Origin", "https://example.org").method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://example.org");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElseThrow()).contains("Authorization");
        HttpResponse<String> other = Http.client().send(http.request("/v1/models").header("Origin", "https://evil.example")
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void theThinkingSwitchAndLogprobsReachTheService() throws Exception {
        fake.streamScript(tokens(1), 0);
        Http http = serve(ServerConfig.loopback(0));
        assertThat(http.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
        assertThat(fake.lastRequest().options.thinking()).isNull();
        assertThat(fake.lastRequest().options.logprobs()).isZero();
        assertThat(http.post("/v1/chat/completions", CHAT.replace("}]}",
                "}], \"chat_template_kwargs\": {\"enable_thinking\": false}, \"logprobs\": true, \"top_logprobs\": 4}"))
                .statusCode()).isEqualTo(200);
        assertThat(fake.lastRequest().options.thinking()).isFalse();
        assertThat(fake.lastRequest().options.logprobs()).isEqualTo(4);
    }

    @Test
    void reasoningComesApartFromTheAnswer() throws Exception {
        fake.streamScript(List.of("Four", "."), 0).streamReasoning(List.of("Two ", "and two"));
        Http http = serve(ServerConfig.loopback(0));
        JsonObject message = Http.json(http.post("/v1/chat/completions", CHAT)).getAsJsonArray("choices").get(0)
                .getAsJsonObject().getAsJsonObject("message");
        assertThat(message.get("content").getAsString()).isEqualTo("Four.");
        assertThat(message.get("reasoning_content").getAsString()).isEqualTo("Two and two");

        String stream = http.post("/v1/chat/completions", CHAT.replace("}]}", "}], \"stream\": true}")).body();
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        for (String event : Http.events(stream)) {
            if (event.equals("[DONE]")) {
                continue;
            }
            JsonObject delta = JsonParser.parseString(event).getAsJsonObject().getAsJsonArray("choices").get(0)
                    .getAsJsonObject().getAsJsonObject("delta");
            if (delta.has("reasoning_content")) {
                reasoning.append(delta.get("reasoning_content").getAsString());
            }
            if (delta.has("content")) {
                content.append(delta.get("content").getAsString());
            }
        }
        assertThat(reasoning.toString()).isEqualTo("Two and two");
        assertThat(content.toString()).isEqualTo("Four.");
    }
}
