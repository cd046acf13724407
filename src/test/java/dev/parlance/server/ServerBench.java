package dev.parlance.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.WeightFormat;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import dev.parlance.service.DjlInferenceService;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a timed test: four clients stream chat completions at once from one {@code parlance serve}.
 * Reports each client's queueing delay (request to first token: the server answers one at a time),
 * its time to the end, and the tokens per second of the whole; checks that nothing is lost (every
 * stream ends with {@code [DONE]} and its text and usage equal the same request answered alone,
 * greedily). Writes {@code target/bench/server-streams.txt}. Run with
 * {@code mvn -o test -Dtest=ServerBench -Dtest.excluded.groups=none [-Dbench.model=PATH]
 * [-Dbench.tokens=128]}; without a model it writes a random-weight SmolLM2-135M-shaped folder.
 */
@Tag("bench")
class ServerBench {
    private static final int CLIENTS = 4;

    @TempDir
    Path dir;

    /** One client's stream as it arrived. */
    private record Stream(String text, JsonObject usage, boolean done, double firstTokenMillis, double endMillis) {}

    @Test
    void fourStreamingClientsShareOneModel() throws Exception {
        String modelProperty = System.getProperty("bench.model");
        Path model = modelProperty != null ? Path.of(modelProperty)
                : SyntheticModel.write(dir.resolve("smollm2-135m"), SyntheticModel.Shape.SMOLLM2_135M,
                        SafeTensors.DType.BF16, 1, 5);
        int tokens = Integer.getInteger("bench.tokens", 128);
        try (DjlInferenceService inference = new DjlInferenceService()) {
            String name = inference.load(model, WeightFormat.STORED, f -> { }).join().name();
            try (OpenAiServer server = new OpenAiServer(inference, ServerConfig.loopback(0))) {
                server.start();
                Http http = new Http(server.port());
                List<String> requests = new ArrayList<>();
                List<JsonObject> alone = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    String request = request(name, "Tell story number " + (i + 1) + ".", tokens);
                    requests.add(request);
                    alone.add(Http.json(http.post("/v1/chat/completions", request)));
                }

                var start = new CountDownLatch(1);
                List<CompletableFuture<Stream>> streams = new ArrayList<>();
                try (var clients = Executors.newFixedThreadPool(CLIENTS)) {
                    for (String request : requests) {
                        streams.add(CompletableFuture.supplyAsync(() -> stream(http, request, start), clients));
                    }
                    start.countDown();
                }
                double wall = 0;
                int generated = 0;
                StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
                        "%d clients, %s, up to %d tokens each%n", CLIENTS, name, tokens));
                for (int i = 0; i < CLIENTS; i++) {
                    Stream stream = streams.get(i).join();
                    JsonObject expected = alone.get(i);
                    assertThat(stream.done()).as("client %d got [DONE]", i).isTrue();
                    assertThat(stream.text()).as("client %d's text", i).isEqualTo(expected.getAsJsonArray("choices")
                            .get(0).getAsJsonObject().getAsJsonObject("message").get("content").getAsString());
                    assertThat(stream.usage().get("completion_tokens")).isEqualTo(
                            expected.getAsJsonObject("usage").get("completion_tokens"));
                    int count = stream.usage().get("completion_tokens").getAsInt();
                    generated += count;
                    wall = Math.max(wall, stream.endMillis());
                    report.append(String.format(Locale.ROOT, "client %d: first token after %.0f ms, done after %.0f ms, %d tokens%n",
                            i + 1, stream.firstTokenMillis(), stream.endMillis(), count));
                }
                report.append(String.format(Locale.ROOT, "all: %d tokens in %.0f ms = %.1f tokens/s; nothing lost%n",
                        generated, wall, generated * 1000.0 / wall));
                Files.createDirectories(Path.of("target", "bench"));
                Files.writeString(Path.of("target", "bench", "server-streams.txt"), report);
                System.out.print(report);
            }
        }
    }

    private static String request(String model, String content, int tokens) {
        JsonObject request = new JsonObject();
        request.addProperty("model", model);
        JsonArray messages = new JsonArray();
        JsonObject message = new JsonObject();
        message.addProperty("role", "user");
        message.addProperty("content", content);
        messages.add(message);
        request.add("messages", messages);
        request.addProperty("max_tokens", tokens);
        request.addProperty("temperature", 0);
        return request.toString();
    }

    private static Stream stream(Http http, String request, CountDownLatch start) {
        try {
            start.await();
            JsonObject body = JsonParser.parseString(request).getAsJsonObject();
            body.addProperty("stream", true);
            JsonObject options = new JsonObject();
            options.addProperty("include_usage", true);
            body.add("stream_options", options);
            long sent = System.nanoTime();
            HttpResponse<java.util.stream.Stream<String>> response = Http.client().send(http.request("/v1/chat/completions")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofLines());
            StringBuilder text = new StringBuilder();
            JsonObject usage = null;
            boolean done = false;
            double first = -1;
            for (String line : (Iterable<String>) response.body()::iterator) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                String data = line.substring("data: ".length());
                if (data.equals("[DONE]")) {
                    done = true;
                    continue;
                }
                JsonObject chunk = JsonParser.parseString(data).getAsJsonObject();
                if (chunk.has("usage") && chunk.get("usage").isJsonObject()) {
                    usage = chunk.getAsJsonObject("usage");
                }
                for (var choice : chunk.getAsJsonArray("choices")) {
                    var content = choice.getAsJsonObject().getAsJsonObject("delta").get("content");
                    if (content != null && !content.getAsString().isEmpty()) {
                        if (first < 0) {
                            first = (System.nanoTime() - sent) / 1e6;
                        }
                        text.append(content.getAsString());
                    }
                }
            }
            return new Stream(text.toString(), usage, done, first, (System.nanoTime() - sent) / 1e6);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
