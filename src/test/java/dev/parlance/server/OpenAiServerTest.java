package dev.parlance.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.WeightFormat;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import dev.parlance.service.DjlInferenceService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The server on the real engine and a tiny model the test writes (ChatML template, a byte-level
 * tokenizer: one token per UTF-8 byte, so prompt sizes can be counted by hand). Every refused
 * request is followed by one that must succeed.
 */
class OpenAiServerTest {
    private static final int BODY_LIMIT = 64 * 1024;
    private static final String GOOD = """
            {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "temperature": 0}""";

    @TempDir
    static Path dir;
    private static DjlInferenceService inference;
    private static OpenAiServer server;
    private static Http http;

    @BeforeAll
    static void serve() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 11);
        inference = new DjlInferenceService();
        inference.load(model, WeightFormat.STORED, f -> { }).join();
        server = new OpenAiServer(inference, ServerConfig.loopback(0).withLimits(4, BODY_LIMIT, Duration.ofSeconds(2)));
        server.start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
        inference.close();
    }

    /** Tokens of a ChatML prompt under a byte-level tokenizer: each special marker is one, each byte one. */
    private static int chatMlTokens(String... roleThenContent) {
        int tokens = 0;
        for (int i = 0; i < roleThenContent.length; i += 2) {
            String text = roleThenContent[i] + "\n" + roleThenContent[i + 1];
            tokens += 2 + text.getBytes(StandardCharsets.UTF_8).length + 1; // <|im_start|>, text, <|im_end|>, "\n"
        }
        return tokens + 1 + "assistant\n".length();
    }

    private static void assertGoodRequestSucceeds() throws Exception {
        HttpResponse<String> response = http.post("/v1/chat/completions", GOOD);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(Http.json(response).getAsJsonArray("choices")).hasSize(1);
    }

    @Test
    void modelsListNamesTheLoadedModel() throws Exception {
        JsonObject list = Http.json(http.get("/v1/models"));
        assertThat(list.get("object").getAsString()).isEqualTo("list");
        assertThat(list.getAsJsonArray("data").get(0).getAsJsonObject().get("id").getAsString()).isEqualTo("tiny");
        assertThat(http.get("/v1/models/tiny").statusCode()).isEqualTo(200);
        HttpResponse<String> other = http.get("/v1/models/gpt-4");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(Http.json(other).getAsJsonObject("error").get("code").getAsString()).isEqualTo("model_not_found");
    }

    @Test
    void usageCountsThePromptAsTheModelTokenizedIt() throws Exception {
        HttpResponse<String> response = http.post("/v1/chat/completions", """
                {"model": "tiny", "max_tokens": 3, "temperature": 0,
                 "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi é"}]}""");
        JsonObject usage = Http.json(response).getAsJsonObject("usage");
        assertThat(usage.get("prompt_tokens").getAsInt()).isEqualTo(chatMlTokens("system", "Be brief", "user", "Hi é"));
        assertThat(usage.get("total_tokens").getAsInt())
                .isEqualTo(usage.get("prompt_tokens").getAsInt() + usage.get("completion_tokens").getAsInt());
    }

    @Test
    void textPartsAreJoinedByNewlines() throws Exception {
        HttpResponse<String> response = http.post("/v1/chat/completions", """
                {"model": "tiny", "max_tokens": 1, "messages": [{"role": "user",
                 "content": [{"type": "text", "text": "ab"}, {"type": "text", "text": "cd"}]}]}""");
        assertThat(Http.json(response).getAsJsonObject("usage").get("prompt_tokens").getAsInt())
                .isEqualTo(chatMlTokens("user", "ab\ncd"));
    }

    @Test
    void maxTokensEndsTheAnswerWithLength() throws Exception {
        JsonObject body = Http.json(http.post("/v1/completions", """
                {"model": "tiny", "prompt": "abc", "max_tokens": 5, "temperature": 0, "logprobs": 2}"""));
        JsonObject choice = body.getAsJsonArray("choices").get(0).getAsJsonObject();
        JsonObject usage = body.getAsJsonObject("usage");
        assertThat(usage.get("prompt_tokens").getAsInt()).isEqualTo(3);
        int generated = usage.get("completion_tokens").getAsInt();
        assertThat(choice.getAsJsonObject("logprobs").getAsJsonArray("tokens")).hasSize(generated);
        if (choice.get("finish_reason").getAsString().equals("length")) {
            assertThat(generated).isEqualTo(5);
        } else {
            assertThat(choice.get("finish_reason").getAsString()).isEqualTo("stop");
            assertThat(generated).isLessThan(5);
        }
    }

    @Test
    void aStreamedAnswerIsTheWholeAnswerInPieces() throws Exception {
        String request = """
                {"model": "tiny", "messages": [{"role": "user", "content": "Tell"}], "max_tokens": 12,
                 "temperature": 0, "stream": %s, "stream_options": {"include_usage": true}}""";
        JsonObject whole = Http.json(http.post("/v1/chat/completions", request.formatted("false")));
        HttpResponse<String> streamed = http.post("/v1/chat/completions", request.formatted("true"));

        assertThat(streamed.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        List<String> events = Http.events(streamed.body());
        assertThat(events.getLast()).isEqualTo("[DONE]");
        StringBuilder content = new StringBuilder();
        String finish = null;
        JsonObject usage = null;
        for (String event : events.subList(0, events.size() - 1)) {
            JsonObject chunk = JsonParser.parseString(event).getAsJsonObject();
            assertThat(chunk.get("object").getAsString()).isEqualTo("chat.completion.chunk");
            JsonArray choices = chunk.getAsJsonArray("choices");
            if (choices.isEmpty()) {
                usage = chunk.getAsJsonObject("usage");
                continue;
            }
            JsonObject choice = choices.get(0).getAsJsonObject();
            JsonElement text = choice.getAsJsonObject("delta").get("content");
            if (text != null) {
                content.append(text.getAsString());
            }
            if (!choice.get("finish_reason").isJsonNull()) {
                finish = choice.get("finish_reason").getAsString();
            }
        }
        JsonObject wholeChoice = whole.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertThat(content.toString()).isEqualTo(wholeChoice.getAsJsonObject("message").get("content").getAsString());
        assertThat(finish).isEqualTo(wholeChoice.get("finish_reason").getAsString());
        assertThat(usage).isNotNull();
        assertThat(usage.get("completion_tokens")).isEqualTo(whole.getAsJsonObject("usage").get("completion_tokens"));
        assertThat(usage.get("prompt_tokens")).isEqualTo(whole.getAsJsonObject("usage").get("prompt_tokens"));
    }

    @Test
    void logprobsReportTheChosenTokenAndItsBestAlternatives() throws Exception {
        JsonObject body = Http.json(http.post("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4,
                 "temperature": 0, "logprobs": true, "top_logprobs": 3}"""));
        JsonObject choice = body.getAsJsonArray("choices").get(0).getAsJsonObject();
        JsonArray content = choice.getAsJsonObject("logprobs").getAsJsonArray("content");
        assertThat(content).hasSize(body.getAsJsonObject("usage").get("completion_tokens").getAsInt());
        for (JsonElement element : content) {
            JsonObject token = element.getAsJsonObject();
            JsonArray top = token.getAsJsonArray("top_logprobs");
            assertThat(top).hasSize(3);
            double best = top.get(0).getAsJsonObject().get("logprob").getAsDouble();
            // greedy: the chosen token is the most likely one
            assertThat(token.get("logprob").getAsDouble()).isEqualTo(best);
            double mass = 0;
            for (JsonElement alternative : top) {
                double logprob = alternative.getAsJsonObject().get("logprob").getAsDouble();
                assertThat(logprob).isLessThanOrEqualTo(best);
                mass += Math.exp(logprob);
            }
            assertThat(mass).isLessThanOrEqualTo(1 + 1e-9);
        }
    }

    private static String content(JsonObject response) {
        return response.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message")
                .get("content").getAsString();
    }

    @Test
    void theSameSeedGivesTheSameSampledAnswer() throws Exception {
        String request = """
                {"model": "tiny", "messages": [{"role": "user", "content": "Go"}], "max_tokens": 16,
                 "temperature": 1.5, "seed": %d}""";
        List<String> answers = new ArrayList<>();
        for (int seed : new int[] {42, 42, 7, 8, 9}) {
            answers.add(content(Http.json(http.post("/v1/chat/completions", request.formatted(seed)))));
        }
        assertThat(answers.get(1)).isEqualTo(answers.get(0));
        assertThat(answers.subList(2, 5)).anySatisfy(other -> assertThat(other).isNotEqualTo(answers.get(0)));
    }

    @Test
    void aStopStringEndsTheAnswerBeforeIt() throws Exception {
        String request = """
                {"model": "tiny", "prompt": "Go", "max_tokens": 24, "temperature": 0%s}""";
        String free = Http.json(http.post("/v1/completions", request.formatted(""))).getAsJsonArray("choices").get(0)
                .getAsJsonObject().get("text").getAsString();
        int at = 1;
        while (at < free.length() && !Character.isLetterOrDigit(free.charAt(at))) {
            at++;
        }
        assertThat(at).as("a letter or digit in " + free).isLessThan(free.length());
        String stop = free.substring(at, at + 1);
        JsonObject stopped = Http.json(http.post("/v1/completions", request.formatted(", \"stop\": [\"" + stop + "\"]")))
                .getAsJsonArray("choices").get(0).getAsJsonObject();
        assertThat(stopped.get("text").getAsString()).isEqualTo(free.substring(0, free.indexOf(stop)));
        assertThat(stopped.get("finish_reason").getAsString()).isEqualTo("stop");
    }

    @Test
    void aStreamCarriesTheLogprobsOfEveryToken() throws Exception {
        String body = http.post("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 6, "temperature": 0,
                 "logprobs": true, "top_logprobs": 1, "stream": true, "stream_options": {"include_usage": true}}""").body();
        int entries = 0;
        int generated = -1;
        for (String event : Http.events(body)) {
            if (event.equals("[DONE]")) {
                continue;
            }
            JsonObject chunk = JsonParser.parseString(event).getAsJsonObject();
            if (chunk.get("usage").isJsonObject()) {
                generated = chunk.getAsJsonObject("usage").get("completion_tokens").getAsInt();
            }
            for (JsonElement choice : chunk.getAsJsonArray("choices")) {
                JsonElement logprobs = choice.getAsJsonObject().get("logprobs");
                if (logprobs.isJsonObject()) {
                    entries += logprobs.getAsJsonObject().getAsJsonArray("content").size();
                }
            }
        }
        assertThat(entries).isEqualTo(generated).isPositive();
    }

    @Test
    void aMalformedHttpRequestGetsAnErrorObject() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(20_000);
            String response = drain(socket.getInputStream());
            assertThat(response).startsWith("HTTP/1.1 400").contains("{\"error\":{\"message\":");
        }
        assertGoodRequestSucceeds();
    }

    @Test
    void aConversationsNextTurnReusesTheCachedPrefix() throws Exception {
        JsonObject first = Http.json(http.post("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "One"}], "max_tokens": 3, "temperature": 0}"""));
        String answer = first.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message")
                .get("content").getAsString();
        JsonObject next = new JsonObject();
        next.addProperty("model", "tiny");
        next.addProperty("max_tokens", 3);
        JsonArray messages = JsonParser.parseString("""
                [{"role": "user", "content": "One"}, {"role": "assistant", "content": ""},
                 {"role": "user", "content": "Two"}]""").getAsJsonArray();
        messages.get(1).getAsJsonObject().addProperty("content", answer);
        next.add("messages", messages);
        JsonObject usage = Http.json(http.post("/v1/chat/completions", next.toString())).getAsJsonObject("usage");
        assertThat(usage.getAsJsonObject("prompt_tokens_details").get("cached_tokens").getAsInt())
                .isGreaterThanOrEqualTo(chatMlTokens("user", "One"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '^', textBlock = """
            truncated JSON        | {"model": "tiny", "messages": [{"role": "us                    | 400 | invalid_json |
            not JSON              | hello                                                          | 400 | invalid_json |
            JSON but not object   | [1, 2]                                                         | 400 | invalid_json |
            two JSON values       | {"model": "tiny"} {}                                           | 400 | invalid_json |
            no model              | {"messages": [{"role": "user", "content": "x"}]}               | 400 | missing_required_parameter | model
            unknown model         | {"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]} | 404 | model_not_found | model
            model not a string    | {"model": 7, "messages": [{"role": "user", "content": "x"}]}   | 400 | invalid_type | model
            no messages           | {"model": "tiny"}                                              | 400 | missing_required_parameter | messages
            empty messages        | {"model": "tiny", "messages": []}                              | 400 | empty_array | messages
            messages not an array | {"model": "tiny", "messages": "hi"}                            | 400 | invalid_type | messages
            message not an object | {"model": "tiny", "messages": ["hi"]}                          | 400 | invalid_type | messages[0]
            unknown role          | {"model": "tiny", "messages": [{"role": "tool", "content": "x"}]} | 400 | invalid_value | messages[0].role
            image part            | {"model": "tiny", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]} | 400 | unsupported_value | messages[0].content[0].type
            content a number      | {"model": "tiny", "messages": [{"role": "user", "content": 5}]} | 400 | invalid_type | messages[0].content
            temperature a string  | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"} | 400 | invalid_type | temperature
            temperature too high  | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "temperature": 3} | 400 | invalid_value | temperature
            max_tokens fractional | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "max_tokens": 2.5} | 400 | invalid_type | max_tokens
            max_tokens zero       | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0} | 400 | invalid_value | max_tokens
            n of two              | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "n": 2} | 400 | unsupported_value | n
            stop a number         | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "stop": 1} | 400 | invalid_type | stop
            five stops            | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "stop": ["a","b","c","d","e"]} | 400 | invalid_value | stop
            penalty out of range  | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "presence_penalty": -2.5} | 400 | invalid_value | presence_penalty
            stream not a boolean  | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "stream": "yes"} | 400 | invalid_type | stream
            top_logprobs alone    | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 2} | 400 | invalid_value | top_logprobs
            """)
    void aBadChatRequestIsRefusedAndTheNextOneAnswered(String what, String body, int status, String code, String param)
            throws Exception {
        HttpResponse<String> response = http.post("/v1/chat/completions", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonObject error = Http.json(response).getAsJsonObject("error");
        assertThat(error.get("type").getAsString()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").getAsString()).isEqualTo(code);
        assertThat(error.get("message").getAsString()).isNotBlank();
        if (param == null) {
            assertThat(error.get("param").isJsonNull()).isTrue();
        } else {
            assertThat(error.get("param").getAsString()).isEqualTo(param);
        }
        assertGoodRequestSucceeds();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no prompt          | {"model": "tiny"}                                   | prompt
            two prompts        | {"model": "tiny", "prompt": ["a", "b"]}             | prompt
            token-id prompt    | {"model": "tiny", "prompt": [1, 2]}                 | prompt
            echo               | {"model": "tiny", "prompt": "a", "echo": true}      | echo
            logprobs too many  | {"model": "tiny", "prompt": "a", "logprobs": 6}     | logprobs
            """)
    void aBadCompletionRequestIsRefusedAndTheNextOneAnswered(String what, String body, String param) throws Exception {
        HttpResponse<String> response = http.post("/v1/completions", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(Http.json(response).getAsJsonObject("error").get("param").getAsString()).isEqualTo(param);
        assertGoodRequestSucceeds();
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedInWords() throws Exception {
        HttpResponse<String> response = http.post("/v1/chat/completions", """
                {"model": "tiny", "max_tokens": 2, "messages": [{"role": "user", "content": "%s"}]}"""
                .formatted("x".repeat(400)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonObject error = Http.json(response).getAsJsonObject("error");
        assertThat(error.get("code").getAsString()).isEqualTo("context_length_exceeded");
        assertThat(error.get("message").getAsString()).contains("context holds");
        assertGoodRequestSucceeds();
    }

    @Test
    void unknownPathsAndWrongMethodsAreRefused() throws Exception {
        HttpResponse<String> unknown = http.post("/v1/embeddings", "{}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Http.json(unknown).getAsJsonObject("error").get("code").getAsString()).isEqualTo("unknown_url");
        HttpResponse<String> wrong = http.get("/v1/chat/completions");
        assertThat(wrong.statusCode()).isEqualTo(405);
        assertGoodRequestSucceeds();
    }

    @Test
    void aBodyOverTheLimitIsRefusedWhetherItsLengthIsDeclaredOrNot() throws Exception {
        String huge = "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(BODY_LIMIT) + "\"}]}";
        HttpResponse<String> declared = http.post("/v1/chat/completions", huge);
        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(Http.json(declared).getAsJsonObject("error").get("code").getAsString()).isEqualTo("request_too_large");

        HttpRequest chunked = http.request("/v1/chat/completions").POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(huge.getBytes(StandardCharsets.UTF_8)))).build();
        HttpResponse<String> streamed = Http.client().send(chunked, HttpResponse.BodyHandlers.ofString());
        assertThat(streamed.statusCode()).isEqualTo(413);
        assertGoodRequestSucceeds();
    }

    @Test
    void aClientThatStallsMidRequestNeitherBlocksOthersNorStaysConnected() throws Exception {
        try (Socket headersOnly = new Socket("127.0.0.1", server.port());
                Socket partialBody = new Socket("127.0.0.1", server.port())) {
            headersOnly.getOutputStream().write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            OutputStream body = partialBody.getOutputStream();
            body.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 500\r\n\r\n{\"model\": \"ti").getBytes(StandardCharsets.US_ASCII));
            body.flush();

            assertGoodRequestSucceeds();

            // the idle timeout (2 s here) closes both; a read then ends instead of hanging
            headersOnly.setSoTimeout(20_000);
            partialBody.setSoTimeout(20_000);
            assertThat(drain(headersOnly.getInputStream())).doesNotContain("200 OK");
            assertThat(drain(partialBody.getInputStream())).doesNotContain("200 OK");
        }
        assertGoodRequestSucceeds();
    }

    private static String drain(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
