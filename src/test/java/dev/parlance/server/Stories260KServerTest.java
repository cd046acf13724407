package dev.parlance.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.WeightFormat;
import dev.parlance.service.DjlInferenceService;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Completions over HTTP equal llama2.c's own greedy run of stories260K (the model folder's
 * {@code golden.json}): the text, and the token counts.
 */
class Stories260KServerTest {
    private static DjlInferenceService inference;
    private static OpenAiServer server;
    private static Http http;
    private static JsonObject golden;

    @BeforeAll
    static void serve() throws Exception {
        Path model = SharedData.require("models/stories260K");
        golden = SharedData.json(model.resolve("golden.json")).getAsJsonArray("generations").get(0).getAsJsonObject();
        inference = new DjlInferenceService();
        inference.load(model, WeightFormat.STORED, f -> { }).join();
        server = new OpenAiServer(inference, ServerConfig.loopback(0));
        server.start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
            inference.close();
        }
    }

    private static String request(boolean stream) {
        JsonObject request = new JsonObject();
        request.addProperty("model", "stories260K");
        request.addProperty("prompt", golden.get("prompt").getAsString());
        request.addProperty("max_tokens", golden.get("max_new_tokens").getAsInt());
        request.addProperty("temperature", 0);
        request.addProperty("stream", stream);
        return request.toString();
    }

    @Test
    void aGreedyCompletionIsLlama2cSContinuation() throws Exception {
        JsonObject body = Http.json(http.post("/v1/completions", request(false)));
        JsonObject choice = body.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertThat(choice.get("text").getAsString()).isEqualTo(golden.get("continuation_text").getAsString());
        assertThat(choice.get("finish_reason").getAsString()).isEqualTo("length");
        JsonObject usage = body.getAsJsonObject("usage");
        assertThat(usage.get("prompt_tokens").getAsInt()).isEqualTo(golden.getAsJsonArray("prompt_ids").size());
        assertThat(usage.get("completion_tokens").getAsInt()).isEqualTo(golden.get("max_new_tokens").getAsInt());
    }

    @Test
    void aStreamedCompletionIsTheSameText() throws Exception {
        StringBuilder text = new StringBuilder();
        var events = Http.events(http.post("/v1/completions", request(true)).body());
        assertThat(events.getLast()).isEqualTo("[DONE]");
        for (String event : events.subList(0, events.size() - 1)) {
            text.append(JsonParser.parseString(event).getAsJsonObject().getAsJsonArray("choices").get(0)
                    .getAsJsonObject().get("text").getAsString());
        }
        assertThat(text.toString()).isEqualTo(golden.get("continuation_text").getAsString());
    }
}
