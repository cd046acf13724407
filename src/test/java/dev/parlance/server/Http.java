package dev.parlance.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A test's HTTP client for one server: JSON requests, JSON answers, server-sent events. */
final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;
    private final String key;

    Http(int port, String key) {
        this.base = URI.create("http://127.0.0.1:" + port);
        this.key = key;
    }

    Http(int port) {
        this(port, null);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return sendOnANewConnection(request(path).GET().build());
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return sendOnANewConnection(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /**
     * Sends on a connection of its own: a pooled one can be closed by the server's idle timeout (two
     * seconds in some tests) just as the request goes out, and a POST is not retried.
     */
    private static HttpResponse<String> sendOnANewConnection(HttpRequest request)
            throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        return key == null ? builder : builder.header("Authorization", "Bearer " + key);
    }

    static HttpClient client() {
        return CLIENT;
    }

    static JsonObject json(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    /** The {@code data:} payloads of a server-sent event stream, {@code [DONE]} included. */
    static List<String> events(String stream) {
        List<String> events = new ArrayList<>();
        for (String block : stream.split("\n\n")) {
            for (String line : block.split("\n")) {
                if (line.startsWith("data: ")) {
                    events.add(line.substring("data: ".length()));
                }
            }
        }
        return events;
    }
}
