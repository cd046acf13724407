package dev.parlance.server;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.ContextOverflowException;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.service.ModelInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/**
 * The API's routes. Each request runs on a Jetty thread that may block: it waits for its answer's
 * events and writes them at its client's pace, while the inference worker goes on. A write that
 * fails (the client went away) cancels the answer.
 */
final class ApiHandler extends Handler.Abstract {
    /** The most of a refused body read and dropped before the refusal is sent. */
    private static final long DRAIN_BYTES = 64L << 20;
    private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
    /** How long a streaming client waits in silence before a keep-alive comment (which also finds a client that left). */
    private static final long HEARTBEAT_SECONDS = 5;
    /** What a refused client is told to wait, in seconds. */
    static final int RETRY_AFTER_SECONDS = 2;
    private static final String SSE = "text/event-stream; charset=utf-8";
    private static final String JSON = "application/json; charset=utf-8";

    private final InferenceService inference;
    private final ServerConfig config;
    private final Set<Generation> running;
    /** One permit per generation request accepted: the one being answered and those waiting for the worker. */
    private final Semaphore slots;
    private final byte[] key;
    private final long created = System.currentTimeMillis() / 1000;

    ApiHandler(InferenceService inference, ServerConfig config, Set<Generation> running) {
        this.inference = inference;
        this.config = config;
        this.running = running;
        this.slots = new Semaphore(config.queueLimit());
        this.key = config.apiKey() == null ? null : ("Bearer " + config.apiKey()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        try {
            cors(request, response);
            if (config.corsOrigin() != null && "OPTIONS".equals(request.getMethod())) {
                preflight(response, callback);
                return true;
            }
            authorize(request);
            route(request, response, callback);
        } catch (ApiError e) {
            sendError(response, callback, e);
        } catch (IOException e) {
            callback.failed(e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "request failed", e);
            sendError(response, callback, new ApiError(500, "server_error", null, null,
                    "The server failed: " + e.getMessage()));
        }
        return true;
    }

    private void route(Request request, Response response, Callback callback) throws ApiError, IOException {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        ModelInfo model = inference.loadedModel();
        if (model == null) {
            throw new ApiError(503, "server_error", null, null, "No model is loaded on this computer: load one in Parlance to serve it.");
        }
        switch (path) {
            case "/v1/models" -> {
                requireMethod(method, "GET", path);
                sendJson(response, callback, 200, ResponseJson.modelList(model, created));
            }
            case "/v1/chat/completions" -> {
                requireMethod(method, "POST", path);
                generate(ApiRequest.chat(body(request), model), model, response, callback);
            }
            case "/v1/completions" -> {
                requireMethod(method, "POST", path);
                generate(ApiRequest.completion(body(request), model), model, response, callback);
            }
            default -> {
                if (path.startsWith("/v1/models/") && path.length() > "/v1/models/".length()) {
                    requireMethod(method, "GET", path);
                    String id = path.substring("/v1/models/".length());
                    if (!id.equals(model.name())) {
                        throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                                "The model '" + id + "' does not exist; this server serves '" + model.name() + "'.");
                    }
                    sendJson(response, callback, 200, ResponseJson.model(model, created));
                } else {
                    throw new ApiError(404, "invalid_request_error", null, "unknown_url",
                            "Unknown request URL: " + method + " " + path + ".");
                }
            }
        }
    }

    private static void requireMethod(String method, String allowed, String path) throws ApiError {
        if (!allowed.equals(method)) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                    "Method " + method + " is not allowed for " + path + "; use " + allowed + ".");
        }
    }

    /** Keys are compared in constant time, so response times do not reveal how much of a guess was right. */
    private void authorize(Request request) throws ApiError {
        if (key == null) {
            return;
        }
        String given = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (given == null || !MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                    given == null ? "Missing API key: send it as 'Authorization: Bearer KEY'."
                            : "Incorrect API key provided.");
        }
    }

    private void cors(Request request, Response response) {
        String allowed = config.corsOrigin();
        if (allowed == null) {
            return;
        }
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if ("*".equals(allowed)) {
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        } else if (allowed.equals(origin)) {
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.getHeaders().put(HttpHeader.VARY, "Origin");
        }
    }

    private static void preflight(Response response, Callback callback) {
        response.setStatus(204);
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type");
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, "600");
        callback.succeeded();
    }

    /** The body as a JSON object, refused when larger than the limit, not UTF-8 or not JSON. */
    private JsonObject body(Request request) throws ApiError, IOException {
        long declared = request.getLength();
        InputStream in = Content.Source.asInputStream(request);
        if (declared > config.maxBodyBytes()) {
            drain(in);
            throw tooLarge();
        }
        byte[] bytes = in.readNBytes(config.maxBodyBytes() + 1);
        if (bytes.length > config.maxBodyBytes()) {
            drain(in);
            throw tooLarge();
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.invalid(null, "invalid_json", "The request body is not UTF-8 text.");
        }
        JsonElement json;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            json = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw ApiError.invalid(null, "invalid_json", "We could not parse the JSON body of your request: "
                    + describeJsonError(e) + ". The body must be one JSON object.");
        }
        if (!(json instanceof JsonObject object)) {
            throw ApiError.invalid(null, "invalid_json", "The request body must be a JSON object, not "
                    + JsonFields.describe(json) + ".");
        }
        return object;
    }

    private static String describeJsonError(Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().lines().findFirst().orElse("");
    }

    /**
     * Reads and drops what is left of a refused body, up to {@link #DRAIN_BYTES}: a server that
     * answers while the client is still sending and then closes resets the connection, and the
     * client reads that reset instead of the refusal.
     */
    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[64 * 1024];
        long drained = 0;
        for (int n; drained < DRAIN_BYTES && (n = in.read(sink)) > 0; ) {
            drained += n;
        }
    }

    private ApiError tooLarge() {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "The request body is larger than this server's limit of " + config.maxBodyBytes() + " bytes.");
    }

    /** Queues the request on the worker and answers it, streamed or whole. */
    private void generate(ApiRequest request, ModelInfo model, Response response, Callback callback)
            throws ApiError, IOException {
        if (!slots.tryAcquire()) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
            throw new ApiError(429, "rate_limit_exceeded", null, "rate_limit_exceeded", "The server is busy: "
                    + config.queueLimit() + " requests are queued or running. Try again shortly.");
        }
        Answer answer = new Answer(slots::release);
        Generation generation;
        try {
            int alternatives = request.logprobs() ? Math.max(1, request.topLogprobs()) : 0;
            generation = request.kind() == ApiRequest.Kind.CHAT
                    ? inference.chat(request.messages(),
                            new ChatOptions(request.sampling(), 0, null, request.thinking(), alternatives), answer)
                    : inference.complete(request.prompt(), request.sampling(), alternatives, answer);
        } catch (RejectedExecutionException e) {
            slots.release();
            throw new ApiError(503, "server_error", null, null, "The server is shutting down.");
        }
        running.add(generation);
        try {
            var writer = new AnswerWriter(request, model.name());
            if (request.stream()) {
                stream(answer, writer, generation, response, callback);
            } else {
                whole(answer, writer, response, callback);
            }
        } catch (InterruptedException e) {
            generation.cancel();
            Thread.currentThread().interrupt();
            callback.failed(e);
        } finally {
            running.remove(generation);
        }
    }

    private void whole(Answer answer, AnswerWriter writer, Response response, Callback callback)
            throws InterruptedException, ApiError {
        while (true) {
            switch (answer.take()) {
                case Answer.Delta delta -> writer.add(delta);
                case Answer.Finished finished -> {
                    sendJson(response, callback, 200, writer.whole(finished));
                    return;
                }
                case Answer.Failed failed -> throw failure(failed.error());
            }
        }
    }

    /**
     * Server-sent events. Headers go out with the first event, so that an error found before it
     * (a prompt too long, a template that refuses the messages) is still a 4xx with a JSON body;
     * after that an error is an {@code error} event.
     */
    private void stream(Answer answer, AnswerWriter writer, Generation generation, Response response,
            Callback callback) throws InterruptedException, ApiError {
        boolean started = false;
        try {
            while (true) {
                Answer.Event event = answer.next(HEARTBEAT_SECONDS, TimeUnit.SECONDS);
                if (event instanceof Answer.Failed failed && !started) {
                    throw failure(failed.error());
                }
                if (!started) {
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, SSE);
                    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
                    write(response, false, "data: " + GSON.toJson(writer.firstChunk()) + "\n\n");
                    started = true;
                }
                switch (event) {
                    case null -> write(response, false, ": waiting for the model\n\n");
                    case Answer.Delta delta -> write(response, false, "data: " + GSON.toJson(writer.chunk(delta)) + "\n\n");
                    case Answer.Finished finished -> {
                        StringBuilder end = new StringBuilder();
                        for (JsonObject chunk : writer.lastChunks(finished)) {
                            end.append("data: ").append(GSON.toJson(chunk)).append("\n\n");
                        }
                        end.append("data: [DONE]\n\n");
                        write(response, true, end.toString());
                        callback.succeeded();
                        return;
                    }
                    case Answer.Failed failed -> {
                        write(response, true, "data: " + GSON.toJson(failure(failed.error()).toJson()) + "\n\n");
                        callback.succeeded();
                        return;
                    }
                }
            }
        } catch (IOException clientGone) {
            generation.cancel();
            callback.failed(clientGone);
        }
    }

    private static void write(Response response, boolean last, String text) throws IOException {
        try (Blocker.Callback blocker = Blocker.callback()) {
            response.write(last, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), blocker);
            blocker.block();
        }
    }

    /** What an engine failure means for the client: its request (4xx) or the server (500). */
    private static ApiError failure(Throwable error) {
        return switch (error) {
            case ContextOverflowException e -> ApiError.invalid("messages", "context_length_exceeded",
                    "This model's context holds " + e.contextLength() + " tokens, but the request needs "
                            + e.promptTokens() + " for its prompt alone.");
            case TemplateException e -> ApiError.invalid("messages", "invalid_value",
                    "The model's chat template refuses these messages: " + e.getMessage());
            case OutOfMemoryError e -> new ApiError(500, "server_error", null, null,
                    "The server ran out of memory while answering.");
            default -> {
                LOG.log(Level.WARNING, "generation failed", error);
                yield new ApiError(500, "server_error", null, null, "The model failed: " + error.getMessage());
            }
        };
    }

    private static void sendJson(Response response, Callback callback, int status, JsonObject body) {
        byte[] bytes = GSON.toJson(body).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    private static void sendError(Response response, Callback callback, ApiError error) {
        if (response.isCommitted()) {
            callback.failed(error);
            return;
        }
        sendJson(response, callback, error.status(), error.toJson());
    }

    /** Jetty's own errors (a malformed request line, headers too large) in OpenAI's error shape. */
    static boolean protocolError(Request request, Response response, Callback callback) {
        Object status = request.getAttribute(ErrorHandler.ERROR_STATUS);
        Object message = request.getAttribute(ErrorHandler.ERROR_MESSAGE);
        int code = status instanceof Integer i ? i : 500;
        sendJson(response, callback, code, new ApiError(code, code >= 500 ? "server_error" : "invalid_request_error",
                null, null, "The HTTP request was refused: " + (message == null ? "status " + code : message)).toJson());
        return true;
    }

    /** Builds one answer's responses and chunks, in the shape of its endpoint. */
    private static final class AnswerWriter {
        private final ApiRequest request;
        private final String model;
        private final String id;
        private final long created = System.currentTimeMillis() / 1000;
        private final StringBuilder text = new StringBuilder();
        private final StringBuilder reasoning = new StringBuilder();
        private final List<TokenLogprob> logprobs = new ArrayList<>();

        AnswerWriter(ApiRequest request, String model) {
            this.request = request;
            this.model = model;
            this.id = (chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        }

        private boolean chat() {
            return request.kind() == ApiRequest.Kind.CHAT;
        }

        void add(Answer.Delta delta) {
            text.append(delta.text());
            reasoning.append(delta.reasoning());
            logprobs.addAll(delta.logprobs());
        }

        JsonObject whole(Answer.Finished finished) {
            JsonObject json = ResponseJson.envelope(id, chat() ? "chat.completion" : "text_completion", created, model);
            JsonObject choice = new JsonObject();
            choice.addProperty("index", 0);
            if (chat()) {
                JsonObject message = new JsonObject();
                message.addProperty("role", "assistant");
                message.addProperty("content", text.toString());
                if (!reasoning.isEmpty()) {
                    message.addProperty("reasoning_content", reasoning.toString());
                }
                choice.add("message", message);
            } else {
                choice.addProperty("text", text.toString());
            }
            choice.add("logprobs", logprobsJson(logprobs, 0));
            choice.addProperty("finish_reason", ResponseJson.finishReason(finished.reason()));
            json.add("choices", array(choice));
            json.add("usage", ResponseJson.usage(finished.stats()));
            return json;
        }

        /** Chat streams open with the assistant's role, as OpenAI's do; completions with empty text. */
        JsonObject firstChunk() {
            JsonObject delta = new JsonObject();
            if (chat()) {
                delta.addProperty("role", "assistant");
                delta.addProperty("content", "");
            } else {
                delta.addProperty("text", "");
            }
            return chunk(delta, List.of(), 0, null);
        }

        JsonObject chunk(Answer.Delta event) {
            int offset = text.length();
            add(event);
            JsonObject delta = new JsonObject();
            if (chat()) {
                if (!event.reasoning().isEmpty()) {
                    delta.addProperty("reasoning_content", event.reasoning());
                }
                if (!event.text().isEmpty() || event.reasoning().isEmpty()) {
                    delta.addProperty("content", event.text());
                }
            } else {
                delta.addProperty("text", event.text());
            }
            return chunk(delta, event.logprobs(), offset, null);
        }

        /** The chunk with the finish reason, then (when asked for) one with the usage and no choices. */
        List<JsonObject> lastChunks(Answer.Finished finished) {
            JsonObject delta = new JsonObject();
            if (!chat()) {
                delta.addProperty("text", "");
            }
            List<JsonObject> chunks = new ArrayList<>();
            chunks.add(chunk(delta, List.of(), text.length(), ResponseJson.finishReason(finished.reason())));
            if (request.includeUsage()) {
                JsonObject usage = envelopeOfChunk();
                usage.add("choices", new JsonArray());
                usage.add("usage", ResponseJson.usage(finished.stats()));
                chunks.add(usage);
            }
            return chunks;
        }

        /**
         * @param offset where the tokens' text starts in the answer (completions' {@code text_offset})
         * @param finishReason null until the last choice chunk
         */
        private JsonObject chunk(JsonObject delta, List<TokenLogprob> tokens, int offset, String finishReason) {
            JsonObject json = envelopeOfChunk();
            JsonObject choice = new JsonObject();
            choice.addProperty("index", 0);
            if (chat()) {
                choice.add("delta", delta);
            } else {
                choice.add("text", delta.get("text"));
            }
            choice.add("logprobs", tokens.isEmpty() ? JsonNull.INSTANCE : logprobsJson(tokens, offset));
            choice.addProperty("finish_reason", finishReason);
            json.add("choices", array(choice));
            if (request.includeUsage()) {
                json.add("usage", JsonNull.INSTANCE);
            }
            return json;
        }

        private JsonObject envelopeOfChunk() {
            return ResponseJson.envelope(id, chat() ? "chat.completion.chunk" : "text_completion", created, model);
        }

        private JsonElement logprobsJson(List<TokenLogprob> tokens, int offset) {
            if (!request.logprobs()) {
                return JsonNull.INSTANCE;
            }
            return chat() ? ResponseJson.chatLogprobs(tokens, request.topLogprobs())
                    : ResponseJson.completionLogprobs(tokens, request.topLogprobs(), offset);
        }

        private static JsonArray array(JsonObject element) {
            JsonArray array = new JsonArray();
            array.add(element);
            return array;
        }
    }
}
