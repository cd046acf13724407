package dev.parlance.service;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import dev.parlance.service.remote.RemoteException;
import dev.parlance.service.remote.RemoteServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;

/**
 * The inference service of a remote OpenAI-compatible server: {@code GET /v1/models} lists what it
 * serves, {@link #load(String)} picks one, and answers stream from {@code POST /v1/chat/completions}
 * (or {@code /v1/completions}) as server-sent events. Requests run one at a time on a worker thread,
 * which calls the listeners, as the local engine does. The API key goes only into the
 * {@code Authorization: Bearer} header: it is never logged and never part of a message, even when a
 * server repeats it in an error, and redirects are not followed, so it goes to no other address.
 *
 * <p>Sampling: a setting at OpenAI's default ({@link #SERVER_DEFAULTS}: temperature 1, top_p 1, no
 * top_k, min_p or repetition penalty) is left out of the request, so the server's own default
 * applies; top_k, min_p and repetition_penalty are sent only when set, since OpenAI itself refuses them.
 */
public final class RemoteInferenceService implements InferenceService {
    /** Sampling settings that mean "the server's default": see the class comment. */
    public static final SamplingConfig SERVER_DEFAULTS = new SamplingConfig(1.0, 0, 1.0, 0, 1.0, 0, 1024, List.of());
    /** How long a connection may take to open. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The most characters of an error body read, and of a server's message shown. */
    private static final int ERROR_BODY_LIMIT = 64 * 1024;
    private static final int SHOWN_MESSAGE_LIMIT = 300;

    private final RemoteServer server;
    private final Duration timeout;
    private final HttpClient http;
    private final ExecutorService worker;
    private final ScheduledExecutorService watchdog;
    private volatile ModelInfo loaded;
    private volatile Call current;

    /** A service with a two-minute limit on a silent server. */
    public RemoteInferenceService(RemoteServer server) {
        this(server, Duration.ofMinutes(2));
    }

    /**
     * @param server where requests go
     * @param timeout the longest the server may stay silent: before it starts an answer, and between
     *     two parts of a streamed one (a model loading on the server may need minutes)
     */
    public RemoteInferenceService(RemoteServer server, Duration timeout) {
        this.server = server;
        this.timeout = timeout;
        this.worker = Executors.newSingleThreadExecutor(r -> daemon(r, "remote-inference"));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "remote-watchdog"));
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).executor(Executors.newCachedThreadPool(
                r -> daemon(r, "remote-http"))).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The server this service talks to. */
    public RemoteServer server() {
        return server;
    }

    /**
     * The ids of the server's models ({@code GET /v1/models}), in the server's order. Fails with a
     * {@link RemoteException} that says what went wrong (unreachable, a wrong key, not an OpenAI API).
     */
    public CompletableFuture<List<String>> models() {
        return CompletableFuture.supplyAsync(this::fetchModels, worker);
    }

    private List<String> fetchModels() {
        URI url = server.endpoint("models");
        HttpResponse<InputStream> response = send(request(url).GET().build(), null);
        String body;
        try (InputStream in = response.body()) {
            body = new String(in.readNBytes(ERROR_BODY_LIMIT), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw failure(e, url);
        }
        if (response.statusCode() != 200) {
            throw statusFailure(response, body, "models", null);
        }
        try {
            JsonArray data = JsonParser.parseString(body).getAsJsonObject().getAsJsonArray("data");
            List<String> ids = new ArrayList<>();
            for (JsonElement model : data) {
                ids.add(model.getAsJsonObject().get("id").getAsString());
            }
            return List.copyOf(ids);
        } catch (RuntimeException e) {
            throw new RemoteException(describe() + " does not look like an OpenAI-compatible server: " + url
                    + " did not answer with a list of models.", response.statusCode(), null, null);
        }
    }

    /**
     * Picks one of the server's models for the next answers, after checking that the server lists it.
     * The model's details are the server's: no context length or parameter count is known (0).
     */
    public CompletableFuture<ModelInfo> load(String model) {
        long start = System.nanoTime();
        return models().thenApply(ids -> {
            if (!ids.contains(model)) {
                throw new RemoteException(describe() + " has no model '" + model + "'; it serves "
                        + (ids.isEmpty() ? "none" : String.join(", ", ids)) + ".");
            }
            ModelInfo info = new ModelInfo(null, model, "remote: " + server.name(), 0, 0, SERVER_DEFAULTS,
                    (System.nanoTime() - start) / 1e6);
            loaded = info;
            return info;
        });
    }

    /**
     * Picks the server's model named by {@code model}'s text (a remote model is a name, not a file);
     * {@code weights} and {@code progress} mean nothing to a server.
     */
    @Override
    public CompletableFuture<ModelInfo> load(Path model, WeightFormat weights, ProgressListener progress) {
        return load(model.toString());
    }

    @Override
    public ModelInfo loadedModel() {
        return loaded;
    }

    @Override
    public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
        if (!options.answerPrefix().isEmpty()) {
            throw new UnsupportedOperationException("A remote server cannot continue from a token: it reads "
                    + "text, not this app's token ids. Load a local model to continue an answer from a token.");
        }
        JsonObject body = requestBody(options.sampling());
        body.add("messages", wireMessages(messages));
        if (options.thinking() != null) {
            JsonObject kwargs = new JsonObject();
            kwargs.addProperty("enable_thinking", options.thinking());
            body.add("chat_template_kwargs", kwargs);
        }
        return start("chat/completions", body, listener);
    }

    @Override
    public Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener) {
        JsonObject body = requestBody(sampling);
        body.addProperty("prompt", prompt);
        return start("completions", body, listener);
    }

    /**
     * What can be known of a remote prompt: the messages as they are sent, as JSON. The server
     * applies its chat template and tokenizer, so no token is known: the token lists are empty and
     * the context length is 0.
     */
    @Override
    public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
        String sent = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(wireMessages(messages));
        return CompletableFuture.completedFuture(
                new PromptInspection(sent, List.of(), List.of(), List.of(), List.of(), 0));
    }

    @Override
    public void close() {
        Call call = current;
        if (call != null) {
            call.cancel();
        }
        worker.shutdownNow();
        watchdog.shutdownNow();
        http.shutdownNow();
    }

    private JsonObject requestBody(SamplingConfig sampling) {
        ModelInfo model = loaded;
        if (model == null) {
            throw new IllegalStateException("No model of " + describe() + " is picked.");
        }
        JsonObject body = new JsonObject();
        body.addProperty("model", model.name());
        body.addProperty("stream", true);
        JsonObject streamOptions = new JsonObject();
        streamOptions.addProperty("include_usage", true);
        body.add("stream_options", streamOptions);
        body.addProperty("max_tokens", sampling.maxNewTokens());
        if (sampling.temperature() != SERVER_DEFAULTS.temperature()) {
            body.addProperty("temperature", sampling.temperature());
        }
        if (sampling.topP() != SERVER_DEFAULTS.topP()) {
            body.addProperty("top_p", sampling.topP());
        }
        if (sampling.topK() != SERVER_DEFAULTS.topK()) {
            body.addProperty("top_k", sampling.topK());
        }
        if (sampling.minP() != SERVER_DEFAULTS.minP()) {
            body.addProperty("min_p", sampling.minP());
        }
        if (sampling.repeatPenalty() != SERVER_DEFAULTS.repeatPenalty()) {
            body.addProperty("repetition_penalty", sampling.repeatPenalty());
        }
        if (sampling.frequencyPenalty() != 0) {
            body.addProperty("frequency_penalty", sampling.frequencyPenalty());
        }
        if (sampling.presencePenalty() != 0) {
            body.addProperty("presence_penalty", sampling.presencePenalty());
        }
        body.addProperty("seed", sampling.seed());
        if (!sampling.stopStrings().isEmpty()) {
            JsonArray stops = new JsonArray();
            sampling.stopStrings().forEach(stops::add);
            body.add("stop", stops);
        }
        return body;
    }

    private static JsonArray wireMessages(List<Message> messages) {
        JsonArray array = new JsonArray();
        for (Message message : messages) {
            JsonObject json = new JsonObject();
            json.addProperty("role", message.role().wireName());
            json.addProperty("content", message.content());
            array.add(json);
        }
        return array;
    }

    private Generation start(String endpoint, JsonObject body, ChatListener listener) {
        Call call = new Call(endpoint, body.toString(), listener);
        worker.execute(call::run);
        return call::cancel;
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Accept", "application/json, text/event-stream");
        if (server.apiKey() != null) {
            builder.header("Authorization", "Bearer " + server.apiKey());
        }
        return builder;
    }

    /** Sends a request, waiting for the response's headers; {@code call}, if given, may cancel the wait. */
    private HttpResponse<InputStream> send(HttpRequest request, Call call) {
        CompletableFuture<HttpResponse<InputStream>> pending =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        if (call != null) {
            call.pending = pending;
            if (call.cancelled.get()) {
                pending.cancel(true);
            }
        }
        try {
            return pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.cancel(true);
            throw new CancellationException();
        } catch (ExecutionException e) {
            throw failure(e.getCause(), request.uri());
        }
    }

    /** The server's name and address, as messages name it. */
    private String describe() {
        return "The server '" + server.name() + "' (" + server.baseUrl() + ")";
    }

    /** Says why a request failed before any answer came, by what failed. */
    private RuntimeException failure(Throwable error, URI url) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof CancellationException cancelled) {
            return cancelled;
        }
        if (cause instanceof RemoteException remote) {
            return remote;
        }
        String message = switch (cause) {
            case HttpConnectTimeoutException e -> describe() + " could not be reached within "
                    + CONNECT_TIMEOUT.toSeconds() + " s. Check the address and the network.";
            case HttpTimeoutException e -> describe() + " did not answer within " + timeout.toSeconds() + " s.";
            case ConnectException e when rootCause(e) instanceof UnresolvedAddressException ->
                    describe() + " cannot be found: there is no host named '" + url.getHost() + "'.";
            case ConnectException e -> describe() + " refused the connection: nothing answers at "
                    + url.getHost() + ":" + port(url) + ". Is the server running, and is the address right?";
            case SSLException e -> describe() + " could not be reached securely: " + scrub(e.getMessage()) + ".";
            default -> describe() + " could not be reached: " + scrub(String.valueOf(cause.getMessage())) + ".";
        };
        return new RemoteException(message, 0, null, cause);
    }

    private static Throwable rootCause(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private static int port(URI url) {
        return url.getPort() >= 0 ? url.getPort() : url.getScheme().equals("https") ? 443 : 80;
    }

    /** Says why the server refused a request, from its status, its error object and its headers. */
    private RemoteException statusFailure(HttpResponse<?> response, String body, String endpoint, String model) {
        int status = response.statusCode();
        String said = serverMessage(body);
        String detail = " (HTTP " + status + (said.isEmpty() ? "" : ": " + said) + ")";
        Duration retryAfter = null;
        String message;
        if (status == 401 || status == 403) {
            message = describe() + (server.apiKey() == null
                    ? " wants an API key, and none is set for it." : " refused the API key.") + detail;
        } else if (status == 404 && model != null && (body.contains("model_not_found") || said.contains(model))) {
            message = describe() + " has no model '" + model + "'." + detail;
        } else if (status == 404) {
            message = describe() + " has no " + server.endpoint(endpoint).getPath()
                    + ": check that the address is the API's root (it usually ends in /v1)." + detail;
        } else if (status == 429) {
            retryAfter = retryAfter(response.headers().firstValue("Retry-After").orElse(null));
            message = describe() + " is busy" + (retryAfter == null ? "; try again later."
                    : "; try again in " + Math.max(1, retryAfter.toSeconds()) + " s.") + detail;
        } else if (status >= 300 && status < 400) {
            // not followed: the key would go wherever the redirect points
            message = describe() + " sent the request elsewhere (" + response.headers().firstValue("Location")
                    .orElse("no address given") + "); give that address as the server's URL." + detail;
        } else if (status >= 500) {
            message = describe() + " failed to answer." + detail;
        } else {
            message = describe() + " refused the request." + detail;
        }
        return new RemoteException(message, status, retryAfter, null);
    }

    /** The message of an error body (OpenAI's {@code {"error": {"message"}}}, or its text), without the key. */
    private String serverMessage(String body) {
        String text = body.strip();
        try {
            JsonObject json = JsonParser.parseString(text).getAsJsonObject();
            JsonElement error = json.has("error") ? json.get("error") : json.get("detail");
            if (error != null && error.isJsonObject() && error.getAsJsonObject().has("message")) {
                text = error.getAsJsonObject().get("message").getAsString();
            } else if (error != null && error.isJsonPrimitive()) {
                text = error.getAsString();
            }
        } catch (RuntimeException e) {
            // not JSON: the text as it came (an HTML error page of a proxy, say)
        }
        text = scrub(text.replaceAll("\\s+", " ").strip());
        return text.length() <= SHOWN_MESSAGE_LIMIT ? text : text.substring(0, SHOWN_MESSAGE_LIMIT) + "…";
    }

    /** Removes the API key from text a server or a library wrote. */
    private String scrub(String text) {
        return server.apiKey() == null || text == null ? text : text.replace(server.apiKey(), "***");
    }

    /** Reads {@code Retry-After}: seconds, or an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException e) {
            try {
                Duration wait = Duration.between(ZonedDateTime.now(),
                        ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException unreadable) {
                return null;
            }
        }
    }

    /** One streamed answer: its request, its cancel state, and how much of it has come. */
    private final class Call {
        final String endpoint;
        final String body;
        final ChatListener listener;
        final AtomicBoolean cancelled = new AtomicBoolean();
        volatile CompletableFuture<HttpResponse<InputStream>> pending;
        volatile InputStream stream;
        volatile long lastHeard;
        volatile boolean stalled;
        /** The worker thread while it runs this call; guarded by this. */
        private Thread reader;
        private final long started = System.nanoTime();
        private long firstText;
        private long lastText;
        private int deltas;
        private String finishReason;
        private JsonObject usage;

        Call(String endpoint, String body, ChatListener listener) {
            this.endpoint = endpoint;
            this.body = body;
            this.listener = listener;
        }

        /** Stops the answer: the request is abandoned, or the stream closed, and the text so far kept. */
        void cancel() {
            if (cancelled.getAndSet(true)) {
                return;
            }
            CompletableFuture<?> waiting = pending;
            if (waiting != null) {
                waiting.cancel(true);
            }
            abort();
        }

        /**
         * Closes the stream and wakes the worker if it waits for the next bytes: closing the
         * client's stream alone does not always end a read that is already waiting.
         */
        private void abort() {
            InputStream in = stream;
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    // the connection is going away anyway
                }
            }
            synchronized (this) {
                if (reader != null) {
                    reader.interrupt();
                }
            }
        }

        void run() {
            current = this;
            synchronized (this) {
                reader = Thread.currentThread();
            }
            try {
                if (!cancelled.get()) {
                    stream();
                }
                if (cancelled.get()) {
                    listener.onFinished(FinishReason.CANCELLED, stats(), 0);
                } else {
                    listener.onFinished(finish(), stats(), 0);
                }
            } catch (CancellationException e) {
                listener.onFinished(FinishReason.CANCELLED, stats(), 0);
            } catch (RuntimeException e) {
                if (cancelled.get()) {
                    listener.onFinished(FinishReason.CANCELLED, stats(), 0);
                } else {
                    listener.onFailed(e);
                }
            } finally {
                synchronized (this) {
                    reader = null;
                }
                Thread.interrupted(); // an abort's interrupt must not reach the next request
                current = null;
            }
        }

        private void stream() {
            URI url = server.endpoint(endpoint);
            HttpRequest request = request(url).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<InputStream> response = send(request, this);
            String model = loaded == null ? null : loaded.name();
            ScheduledFuture<?> watch = null;
            try (InputStream in = response.body()) {
                stream = in;
                if (cancelled.get()) {
                    return;
                }
                if (response.statusCode() != 200) {
                    String error = new String(in.readNBytes(ERROR_BODY_LIMIT), StandardCharsets.UTF_8);
                    throw statusFailure(response, error, endpoint, model);
                }
                lastHeard = System.nanoTime();
                long period = Math.max(50, timeout.toMillis() / 4);
                watch = watchdog.scheduleAtFixedRate(this::checkSilence, period, period, TimeUnit.MILLISECONDS);
                read(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
            } catch (IOException e) {
                if (cancelled.get()) {
                    return;
                }
                if (stalled) {
                    throw new RemoteException(describe() + " stopped sending the answer: nothing came for "
                            + timeout.toSeconds() + " s. The text so far is kept.", 0, null, e);
                }
                throw new RemoteException(describe() + " closed the connection before the answer was complete ("
                        + scrub(String.valueOf(e.getMessage())) + "). The text so far is kept.", 0, null, e);
            } finally {
                if (watch != null) {
                    watch.cancel(false);
                }
            }
        }

        /** Closes a stream that has been silent for longer than the timeout; the read then fails. */
        private void checkSilence() {
            if (System.nanoTime() - lastHeard > timeout.toNanos()) {
                stalled = true;
                abort();
            }
        }

        /** Reads server-sent events until {@code [DONE]}: {@code data:} lines, an event at each blank line. */
        private void read(BufferedReader in) throws IOException {
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) {
                lastHeard = System.nanoTime();
                if (line.isEmpty()) {
                    if (!data.isEmpty() && !event(data.toString())) {
                        return;
                    }
                    data.setLength(0);
                } else if (line.startsWith("data:")) {
                    if (!data.isEmpty()) {
                        data.append('\n');
                    }
                    data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
                }
                // comments (":"), "event:", "id:" and "retry:" lines carry nothing an answer needs
            }
            if (!data.isEmpty() && !event(data.toString())) {
                return;
            }
            if (finishReason == null && !cancelled.get()) {
                throw new RemoteException(describe() + " ended the answer's stream before it was complete. "
                        + "The text so far is kept.");
            }
        }

        /** Handles one event; false at {@code [DONE]}. */
        private boolean event(String data) {
            if (data.strip().equals("[DONE]")) {
                return false;
            }
            JsonObject chunk;
            try {
                chunk = JsonParser.parseString(data).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new RemoteException(describe() + " sent a stream that is not OpenAI's server-sent events "
                        + "(a part is not a JSON object: " + abbreviate(data) + ").");
            }
            if (chunk.has("error")) {
                throw new RemoteException(describe() + " stopped the answer with an error: "
                        + serverMessage(chunk.toString()));
            }
            if (chunk.has("usage") && chunk.get("usage").isJsonObject()) {
                usage = chunk.getAsJsonObject("usage");
            }
            JsonArray choices = chunk.has("choices") && chunk.get("choices").isJsonArray()
                    ? chunk.getAsJsonArray("choices") : new JsonArray();
            if (!choices.isEmpty()) {
                choice(choices.get(0).getAsJsonObject());
            }
            return true;
        }

        private void choice(JsonObject choice) {
            JsonObject delta = choice.has("delta") && choice.get("delta").isJsonObject()
                    ? choice.getAsJsonObject("delta") : null;
            String reasoning = delta == null ? null
                    : text(delta, "reasoning_content") != null ? text(delta, "reasoning_content") : text(delta, "reasoning");
            if (reasoning != null && !reasoning.isEmpty()) {
                heard();
                listener.onReasoning(reasoning);
            }
            String content = delta != null ? text(delta, "content") : text(choice, "text");
            if (content != null && !content.isEmpty()) {
                heard();
                listener.onText(content);
            }
            String reason = text(choice, "finish_reason");
            if (reason != null) {
                finishReason = reason;
            }
        }

        private static String text(JsonObject object, String field) {
            JsonElement value = object.get(field);
            return value == null || !value.isJsonPrimitive() ? null : value.getAsString();
        }

        private void heard() {
            long now = System.nanoTime();
            if (deltas++ == 0) {
                firstText = now;
            }
            lastText = now;
        }

        private FinishReason finish() {
            return "length".equals(finishReason) ? FinishReason.LENGTH : FinishReason.STOP;
        }

        /** The server's token counts where it sent them (else 0); times as measured here. */
        private GenerationStats stats() {
            int prompt = count(usage, "prompt_tokens");
            int completion = count(usage, "completion_tokens");
            JsonObject details = usage != null && usage.has("prompt_tokens_details")
                    && usage.get("prompt_tokens_details").isJsonObject() ? usage.getAsJsonObject("prompt_tokens_details") : null;
            int cached = count(details, "cached_tokens");
            double firstMillis = deltas == 0 ? 0 : (firstText - started) / 1e6;
            double decodeMillis = deltas < 2 ? 0 : (lastText - firstText) / 1e6;
            return new GenerationStats(prompt, Math.min(cached, prompt), completion, firstMillis, firstMillis, decodeMillis);
        }

        private static int count(JsonObject object, String field) {
            try {
                return object != null && object.has(field) ? object.get(field).getAsInt() : 0;
            } catch (RuntimeException e) {
                return 0;
            }
        }

        private static String abbreviate(String text) {
            String line = text.replaceAll("\\s+", " ");
            return line.length() <= 80 ? line : line.substring(0, 80) + "…";
        }
    }
}
