package dev.parlance.service.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback HTTP server whose answers a test writes by hand: what real servers do that a Parlance
 * server never does (a malformed stream, a 429, a stall), and what a client sent.
 */
public final class ScriptedServer implements AutoCloseable {
    /** Writes one response. */
    @FunctionalInterface
    public interface Script {
        void answer(HttpExchange exchange) throws IOException, InterruptedException;
    }

    private final HttpServer server;
    /** Released when the test ends, so that handlers holding a connection open return. */
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Map<String, String> lastHeaders = new ConcurrentHashMap<>();
    private volatile String lastBody = "";

    public ScriptedServer(Script chat) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/models", exchange -> respond(exchange, e ->
                send(e, 200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"scripted\",\"object\":\"model\"}]}")));
        server.createContext("/v1/chat/completions", exchange -> respond(exchange, chat));
        server.start();
    }

    private void respond(HttpExchange exchange, Script script) throws IOException {
        exchange.getRequestHeaders().forEach((name, values) -> lastHeaders.put(name.toLowerCase(), values.getFirst()));
        lastBody = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        try {
            script.answer(exchange);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away, as some tests intend
        } finally {
            exchange.close();
        }
    }

    /** The base URL, ending in /v1. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    /** A header of the last request (name in lower case), or null. */
    public String lastHeader(String name) {
        return lastHeaders.get(name);
    }

    /** The body of the last request. */
    public String lastBody() {
        return lastBody;
    }

    /** Blocks a handler until the test ends (a server that says nothing more). */
    public void holdOpen() throws InterruptedException {
        closing.await(60, TimeUnit.SECONDS);
    }

    /** Writes a whole response. */
    public static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Starts a server-sent event stream, writes these events (each one {@code data:} line) and flushes. */
    public static OutputStream events(HttpExchange exchange, String... data) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        more(out, data);
        return out;
    }

    /** Writes more events to a started stream. */
    public static void more(OutputStream out, String... data) throws IOException {
        for (String event : data) {
            out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
        }
        out.flush();
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
