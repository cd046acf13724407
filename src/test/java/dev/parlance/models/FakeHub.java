package dev.parlance.models;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the Hub on 127.0.0.1: the model API, resolve URLs that answer large files
 * with a 302 to a CDN server on another port (carrying {@code X-Linked-Etag} and
 * {@code X-Linked-Size}, as the Hub does) and small files directly, Range requests, gated and
 * missing repositories, and faults a test switches on.
 */
public final class FakeHub implements AutoCloseable {
    /** What the CDN does wrong. */
    public enum Fault { NONE, DROP_ONCE, WRONG_BYTES, STALL, IGNORE_RANGE }

    /** A request as the servers saw it. */
    public record Request(String server, String method, String path, String authorization, String range) {}

    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern MODEL_API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer hub;
    private final ServerSocket cdn;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, Map<String, byte[]>> repos = new ConcurrentHashMap<>();
    private final Map<String, String> gated = new ConcurrentHashMap<>();   // repo -> the token that has access
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch releaseStall = new CountDownLatch(1);
    private volatile Fault fault = Fault.NONE;
    private volatile int faultAfterBytes;
    private volatile boolean dropped;

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        hub.createContext("/", this::hub);
        hub.setExecutor(threads);
        hub.start();
        threads.execute(this::acceptCdnConnections);
    }

    /** The endpoint to give as HF_ENDPOINT. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Adds a file; files of 1 KiB or more are served from the CDN, as the Hub serves LFS files. */
    public FakeHub file(String repo, String path, byte[] content) {
        repos.computeIfAbsent(repo, r -> new LinkedHashMap<>()).put(path, content);
        blobs.put(sha256(content), content);
        return this;
    }

    /** Makes the repository gated: only requests with this token get its files. */
    public FakeHub gated(String repo, String token) {
        gated.put(repo, token);
        return this;
    }

    /** The CDN's next responses misbehave, starting after {@code afterBytes} bytes of the body. */
    public FakeHub fault(Fault what, int afterBytes) {
        fault = what;
        faultAfterBytes = afterBytes;
        dropped = false;
        return this;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void hub(HttpExchange exchange) throws IOException {
        record(exchange, "hub");
        String path = exchange.getRequestURI().getPath();
        Matcher api = MODEL_API.matcher(path);
        Matcher resolve = RESOLVE.matcher(path);
        String repo = api.matches() ? api.group(1) : resolve.matches() ? resolve.group(1) : null;
        Map<String, byte[]> files = repo == null ? null : repos.get(repo);
        if (files == null) {
            error(exchange, 401, "RepoNotFound");
            return;
        }
        if (gated.containsKey(repo)) {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null) {
                error(exchange, 401, "GatedRepo");
                return;
            }
            if (!authorization.equals("Bearer " + gated.get(repo))) {
                error(exchange, 403, "GatedRepo");
                return;
            }
        }
        if (api.matches()) {
            JsonArray siblings = new JsonArray();
            files.keySet().forEach(name -> {
                JsonObject sibling = new JsonObject();
                sibling.addProperty("rfilename", name);
                siblings.add(sibling);
            });
            JsonObject model = new JsonObject();
            model.addProperty("id", repo);
            model.add("siblings", siblings);
            byte[] body = model.toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            return;
        }
        byte[] content = files.get(resolve.group(3));
        if (content == null) {
            error(exchange, 404, "EntryNotFound");
            return;
        }
        String sha = sha256(content);
        if (content.length >= 1024) {   // an LFS file: the Hub redirects to its CDN and announces size and hash
            exchange.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
            exchange.getResponseHeaders().add("X-Linked-Size", Integer.toString(content.length));
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getLocalPort()
                    + "/repos/blobs/" + sha + "?signature=x");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().add("ETag", "\"small\"");
        send(exchange, content);
    }

    /** Answers a small file directly, as the Hub answers files kept in git. */
    private static void send(HttpExchange exchange, byte[] content) throws IOException {
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().add("Content-Length", Integer.toString(content.length));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(200, content.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(content);
        }
    }

    /**
     * The CDN: a plain socket server, one request per connection, so that a fault can break the
     * connection mid-body (the JDK's HttpServer keeps it open).
     */
    private void acceptCdnConnections() {
        while (!cdn.isClosed()) {
            try {
                Socket socket = cdn.accept();
                threads.execute(() -> serveCdn(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serveCdn(Socket socket) {
        try (socket) {
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            String[] requestLine = in.readLine().split(" ");
            Map<String, String> headers = new HashMap<>();
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
            }
            String method = requestLine[0];
            String path = URI.create(requestLine[1]).getPath();
            requests.add(new Request("cdn", method, path, headers.get("authorization"), headers.get("range")));
            OutputStream out = socket.getOutputStream();
            byte[] content = blobs.get(path.substring(path.lastIndexOf('/') + 1));
            if (content == null) {
                out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                return;
            }
            Fault now = fault;
            int from = 0;
            Matcher range = RANGE.matcher(headers.getOrDefault("range", ""));
            if (range.matches() && now != Fault.IGNORE_RANGE) {
                from = Integer.parseInt(range.group(1));
            }
            if (from >= content.length && from > 0) {
                out.write(("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + content.length
                        + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                return;
            }
            int length = content.length - from;
            String head = (from > 0 ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + from + "-"
                    + (content.length - 1) + "/" + content.length + "\r\n" : "HTTP/1.1 200 OK\r\n")
                    + "Content-Length: " + length + "\r\nConnection: close\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (method.equals("HEAD")) {
                return;
            }
            byte[] body = content.clone();
            if (now == Fault.WRONG_BYTES) {
                body[body.length / 2] ^= 0x5a;
            }
            int cut = Math.min(length, faultAfterBytes);
            if (now == Fault.DROP_ONCE && !dropped) {
                dropped = true;
                out.write(body, from, cut);
                out.flush();
                return;   // closing the socket here breaks the connection mid-body
            }
            if (now == Fault.STALL) {
                out.write(body, from, cut);
                out.flush();
                releaseStall.await(60, TimeUnit.SECONDS);
                return;
            }
            out.write(body, from, length);
            out.flush();
        } catch (IOException | RuntimeException e) {
            // the client went away (a paused or cancelled download)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void error(HttpExchange exchange, int status, String code) throws IOException {
        if (!code.isEmpty()) {
            exchange.getResponseHeaders().add("X-Error-Code", code);
        }
        byte[] body = ("{\"error\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private void record(HttpExchange exchange, String server) {
        var headers = exchange.getRequestHeaders();
        requests.add(new Request(server, exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                headers.getFirst("Authorization"), headers.getFirst("Range")));
    }

    @Override
    public void close() {
        releaseStall.countDown();
        hub.stop(0);
        try {
            cdn.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        threads.shutdownNow();
    }
}
