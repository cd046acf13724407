package dev.parlance.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.chat.Message;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.WeightFormat;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.service.remote.Answers;
import dev.parlance.service.remote.RemoteModel;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RoutedInferenceService;
import dev.parlance.service.remote.ScriptedServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The app's server over the app's own engine (stories260K, whose {@code golden.json} is llama2.c's
 * greedy run): clients and the app's chats share the one worker and neither breaks the other, and
 * a remote model the app is routed to is never served.
 */
class AppServerTest {
    private static final List<Message> APP_CHAT = List.of(Message.user("Tell me about a cat"));
    private static final ChatOptions APP_OPTIONS = new ChatOptions(SamplingConfig.greedy(120), 0, null);

    private Path model;
    private JsonObject golden;
    private RoutedInferenceService inference;
    private AppServer server;
    private Http http;

    @BeforeEach
    void serve() throws Exception {
        model = SharedData.require("models/stories260K");
        golden = SharedData.json(model.resolve("golden.json")).getAsJsonArray("generations").get(0).getAsJsonObject();
        inference = new RoutedInferenceService(new DjlInferenceService());
        inference.load(model, WeightFormat.STORED, f -> { }).join();
        server = new AppServer(inference.localOnly());
        http = new Http(server.start(0).getPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
            inference.close();
        }
    }

    /** llama2.c's greedy continuation of the golden prompt, streamed: the events' text, read lazily. */
    private CompletableFuture<HttpResponse<Stream<String>>> streamGoldenCompletion() {
        JsonObject request = new JsonObject();
        request.addProperty("model", "stories260K");
        request.addProperty("prompt", golden.get("prompt").getAsString());
        request.addProperty("max_tokens", golden.get("max_new_tokens").getAsInt());
        request.addProperty("temperature", 0);
        request.addProperty("stream", true);
        return Http.client().sendAsync(http.request("/v1/completions")
                .POST(HttpRequest.BodyPublishers.ofString(request.toString())).build(),
                HttpResponse.BodyHandlers.ofLines());
    }

    /** Reads events until {@code [DONE]}, appending their text; false if the stream ended without it. */
    private static boolean readEvents(Iterator<String> lines, StringBuilder text, int atMost) {
        int read = 0;
        while (lines.hasNext() && read < atMost) {
            String line = lines.next();
            if (!line.startsWith("data: ")) {
                continue;
            }
            String data = line.substring("data: ".length());
            if (data.equals("[DONE]")) {
                return true;
            }
            text.append(JsonParser.parseString(data).getAsJsonObject().getAsJsonArray("choices").get(0)
                    .getAsJsonObject().get("text").getAsString());
            read++;
        }
        return false;
    }

    private Answers appChat() {
        Answers answer = new Answers();
        inference.chat(APP_CHAT, APP_OPTIONS, answer);
        return answer;
    }

    private static void assertSameAnswer(Answers answer, Answers alone) throws InterruptedException {
        assertThat(answer.awaitEnd()).isTrue();
        assertThat(answer.failure()).isNull();
        assertThat(answer.ends()).isEqualTo(1);
        assertThat(answer.finish()).isEqualTo(alone.finish());
        assertThat(answer.text()).isNotEmpty().isEqualTo(alone.text());
    }

    @Test
    void aClientStreamingDoesNotBreakTheAppsChat() throws Exception {
        Answers alone = appChat();
        assertThat(alone.awaitEnd()).isTrue();

        HttpResponse<Stream<String>> response = streamGoldenCompletion().get(60, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        Iterator<String> lines = response.body().iterator();
        StringBuilder client = new StringBuilder();
        readEvents(lines, client, 1);   // the client's answer is under way
        Answers app = appChat();
        assertThat(readEvents(lines, client, Integer.MAX_VALUE)).isTrue();

        assertThat(client.toString()).isEqualTo(golden.get("continuation_text").getAsString());
        assertSameAnswer(app, alone);
    }

    @Test
    void theAppsChatDoesNotBreakAStreamingClient() throws Exception {
        Answers alone = appChat();
        assertThat(alone.awaitEnd()).isTrue();

        Answers app = appChat();
        assertThat(app.awaitText()).isTrue();   // the app's answer is under way
        HttpResponse<Stream<String>> response = streamGoldenCompletion().get(60, TimeUnit.SECONDS);
        StringBuilder client = new StringBuilder();
        assertThat(readEvents(response.body().iterator(), client, Integer.MAX_VALUE)).isTrue();

        assertThat(client.toString()).isEqualTo(golden.get("continuation_text").getAsString());
        assertSameAnswer(app, alone);
    }

    @Test
    void whileTheAppUsesARemoteModelNothingIsServedNorForwarded() throws Exception {
        AtomicInteger forwarded = new AtomicInteger();
        try (ScriptedServer remote = new ScriptedServer(exchange -> {
            forwarded.incrementAndGet();
            ScriptedServer.send(exchange, 200, "application/json", "{}");
        })) {
            inference.loadRemote(new RemoteModel(new RemoteServer("Box", remote.baseUrl(), null), "scripted")).join();

            HttpResponse<String> models = http.get("/v1/models");
            HttpResponse<String> chat = http.post("/v1/chat/completions",
                    "{\"model\":\"scripted\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

            assertThat(models.statusCode()).isEqualTo(503);
            assertThat(Http.json(models).getAsJsonObject("error").get("message").getAsString())
                    .isEqualTo("No model is loaded on this computer: load one in Parlance to serve it.");
            assertThat(chat.statusCode()).isEqualTo(503);
            assertThat(forwarded).hasValue(0);
        }
        inference.load(model, WeightFormat.STORED, f -> { }).join();
        assertThat(Http.json(http.get("/v1/models")).getAsJsonArray("data").get(0).getAsJsonObject()
                .get("id").getAsString()).isEqualTo("stories260K");
    }

    @Test
    void withNoModelLoadedItAnswersOpenAisErrorObject() throws Exception {
        try (var empty = new DjlInferenceService(); var unloaded = new AppServer(empty)) {
            var client = new Http(unloaded.start(0).getPort());

            HttpResponse<String> response = client.get("/v1/models");

            assertThat(response.statusCode()).isEqualTo(503);
            JsonObject error = Http.json(response).getAsJsonObject("error");
            assertThat(error.get("type").getAsString()).isEqualTo("server_error");
            assertThat(error.get("message").getAsString()).isEqualTo("No model is loaded on this computer: load one in Parlance to serve it.");
        }
    }

    @Test
    void itListensOnLoopbackOnly() {
        URI url = server.baseUrl();

        assertThat(url.getHost()).isEqualTo("127.0.0.1");
        assertThat(url.getPath()).isEqualTo("/v1");
    }

    @Test
    void onceClosedItDoesNotStartAgain() {
        server.close();

        assertThat(server.baseUrl()).isNull();
        assertThatThrownBy(() -> server.start(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theExampleQuotesTheModelNameForTheShell() {
        String example = AppServer.curlExample(URI.create("http://127.0.0.1:8080/v1"), "Bob's \"best\"");

        assertThat(example).isEqualTo("curl http://127.0.0.1:8080/v1/chat/completions \\\n"
                + "  -H 'Content-Type: application/json' \\\n"
                + "  -d '{\"model\":\"Bob'\\''s \\\"best\\\"\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
    }
}
