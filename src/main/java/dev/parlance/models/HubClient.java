package dev.parlance.models;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.parlance.models.DownloadException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The Hub's HTTP interface as Parlance uses it: a file's announced size and SHA-256, its bytes from
 * an offset, and a repository's file list. Redirects are followed here, not by the JDK client, so
 * that the token goes to the endpoint's origin only and never to a CDN.
 */
public final class HubClient {
    private static final int MAX_REDIRECTS = 10;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE_START = Pattern.compile("bytes (\\d+)-.*");

    private final HubAccess hub;
    private final HttpClient http;

    /** A client through the system proxy ({@link ProxySelector#getDefault()}). */
    public HubClient(HubAccess hub) {
        this.hub = hub;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(CONNECT_TIMEOUT);
        ProxySelector proxy = ProxySelector.getDefault();
        if (proxy != null) {
            builder.proxy(proxy);
        }
        this.http = builder.build();
    }

    public HubAccess hub() {
        return hub;
    }

    /**
     * What the server announces for a file.
     *
     * @param size its size in bytes ({@code X-Linked-Size}, else {@code Content-Length})
     * @param sha256 its SHA-256 in lower-case hex ({@code X-Linked-Etag}, which the Hub sends for large files)
     */
    public record Announcement(long size, Optional<String> sha256) {}

    /** Asks for a file's size and hash (a HEAD request on its resolve URL). */
    public Announcement announce(DownloadPlan.RemoteFile file) throws DownloadException {
        List<HttpHeaders> hops = new ArrayList<>();
        HttpResponse<Void> response = send(hub.resolveUri(file.repo(), file.revision(), file.path()), "HEAD", 0,
                BodyHandlers.discarding(), file, hops);
        hops.add(response.headers());
        Optional<String> sha = Optional.empty();
        OptionalLong size = OptionalLong.empty();
        for (HttpHeaders hop : hops) {   // the Hub puts them on its redirect to the CDN
            Optional<String> etag = hop.firstValue("X-Linked-Etag").map(HubClient::unquote);
            if (sha.isEmpty() && etag.isPresent() && SHA256.matcher(etag.get()).matches()) {
                sha = etag;
            }
            if (size.isEmpty()) {
                size = hop.firstValueAsLong("X-Linked-Size");
            }
        }
        if (size.isEmpty()) {
            size = response.headers().firstValueAsLong("Content-Length");
        }
        if (size.isEmpty()) {
            throw new DownloadException(Reason.SERVER, hub.endpoint().getHost() + " did not say how large "
                    + file.path() + " is, so it cannot be checked; try again later or another HF_ENDPOINT");
        }
        return new Announcement(size.getAsLong(), sha);
    }

    /**
     * Opens a file's bytes from {@code offset} (an HTTP Range request when it is above 0).
     *
     * @return the response: 206 with the bytes from offset, 200 with the whole file (a server that
     *     ignores ranges), or 416 when offset is at or past the end
     * @throws DownloadException for 401, 403 and 404
     * @throws IOException when the connection fails, or for another status (worth a retry)
     */
    public HttpResponse<InputStream> open(DownloadPlan.RemoteFile file, long offset) throws IOException {
        HttpResponse<InputStream> response = sendOnce(hub.resolveUri(file.repo(), file.revision(), file.path()), "GET",
                offset, BodyHandlers.ofInputStream(), file, new ArrayList<>());
        int status = response.statusCode();
        if (status == 206) {
            String range = response.headers().firstValue("Content-Range").orElse("");
            var start = CONTENT_RANGE_START.matcher(range);
            if (!start.matches() || Long.parseLong(start.group(1)) != offset) {
                response.body().close();
                throw new IOException("the server sent bytes " + range + " when asked for bytes from " + offset);
            }
        } else if (status != 200 && status != 416) {
            response.body().close();
            throw new IOException(response.uri().getHost() + " answered " + status + " for " + file.path());
        }
        return response;
    }

    /** The repository's file paths at a revision (the model API's {@code siblings}). */
    public List<String> files(String repo, String revision) throws DownloadException {
        var file = new DownloadPlan.RemoteFile(repo, revision, "", -1);
        HttpResponse<String> response = send(hub.modelApiUri(repo, revision), "GET", 0,
                BodyHandlers.ofString(StandardCharsets.UTF_8), file, new ArrayList<>());
        try {
            JsonObject model = JsonParser.parseString(response.body()).getAsJsonObject();
            List<String> paths = new ArrayList<>();
            for (JsonElement sibling : model.getAsJsonArray("siblings")) {
                paths.add(sibling.getAsJsonObject().get("rfilename").getAsString());
            }
            return paths;
        } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
            throw new DownloadException(Reason.SERVER, hub.endpoint().getHost()
                    + " sent a file list for " + repo + " that is not the model API's: " + e.getMessage(), e);
        }
    }

    /** A request whose error statuses become {@link DownloadException}s, and connection failures too. */
    private <T> HttpResponse<T> send(URI uri, String method, long offset, BodyHandler<T> handler,
            DownloadPlan.RemoteFile file, List<HttpHeaders> hops) throws DownloadException {
        HttpResponse<T> response;
        try {
            response = sendOnce(uri, method, offset, handler, file, hops);
        } catch (DownloadException e) {
            throw e;
        } catch (IOException e) {
            throw unreachable(uri, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new DownloadException(Reason.SERVER, response.uri().getHost() + " answered " + response.statusCode()
                    + " for " + uri.getPath() + "; try again later");
        }
        return response;
    }

    /**
     * Follows redirects itself, with the token on the endpoint's origin only; maps 401, 403 and 404.
     *
     * @param hops receives the headers of each redirect response, in order
     */
    private <T> HttpResponse<T> sendOnce(URI uri, String method, long offset, BodyHandler<T> handler,
            DownloadPlan.RemoteFile file, List<HttpHeaders> hops) throws IOException {
        URI next = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(next).method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", "Parlance");
            if (offset > 0) {
                request.header("Range", "bytes=" + offset + "-");
            }
            if (hub.token().isPresent() && hub.isEndpoint(next)) {
                request.header("Authorization", "Bearer " + hub.token().get());
            }
            HttpResponse<T> response;
            try {
                response = http.send(request.build(), info -> isRedirect(info.statusCode())
                        ? BodySubscribers.replacing(null) : handler.apply(info));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            int status = response.statusCode();
            if (isRedirect(status)) {
                Optional<String> location = response.headers().firstValue("Location");
                if (location.isEmpty()) {
                    throw new IOException(next.getHost() + " redirected without a Location");
                }
                hops.add(response.headers());
                next = next.resolve(location.get());
                continue;
            }
            if (status == 401 || status == 403 || status == 404) {
                if (response.body() instanceof InputStream stream) {
                    stream.close();
                }
                throw refused(status, response.headers().firstValue("X-Error-Code").orElse(""), file);
            }
            return response;
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + uri);
    }

    private DownloadException refused(int status, String errorCode, DownloadPlan.RemoteFile file) {
        String repo = file.repo();
        String tokenHelp = "make a token with read access at " + hub.tokenPage()
                + " and set HF_TOKEN to it (or save it with `hf auth login`)";
        if (status == 403 || errorCode.equals("GatedRepo")) {
            return new DownloadException(Reason.GATED, repo + " is gated: sign in and accept its licence at "
                    + hub.modelPage(repo) + ", then " + tokenHelp
                    + (hub.token().isPresent() ? ". The token given was refused for it" : ""));
        }
        if (status == 401 && errorCode.equals("RepoNotFound")) {   // the Hub's answer to a missing or private repository
            return new DownloadException(Reason.NOT_FOUND, "There is no model " + repo + " at " + hub.endpoint()
                    + "; check the name (owner/name, as in the address of its page). If it is private, "
                    + (hub.token().isPresent() ? "the token given has no access to it" : tokenHelp));
        }
        if (status == 401) {
            return new DownloadException(Reason.UNAUTHORIZED, hub.token().isPresent()
                    ? "The access token was refused for " + repo + " (it may have expired, or the repository does not"
                            + " exist or is private to others); " + tokenHelp
                    : repo + " needs an access token: it is gated or private, or it does not exist; check the name at "
                            + hub.modelPage(repo) + ", then " + tokenHelp);
        }
        return switch (errorCode) {
            case "RevisionNotFound" -> new DownloadException(Reason.NOT_FOUND,
                    repo + " has no revision \"" + file.revision() + "\"; check the branch, tag or commit after '@'");
            case "EntryNotFound" -> new DownloadException(Reason.NOT_FOUND,
                    repo + " has no file " + file.path() + " at " + file.revision());
            default -> file.path().isEmpty() || errorCode.equals("RepoNotFound")
                    ? new DownloadException(Reason.NOT_FOUND, "There is no model " + repo + " at " + hub.endpoint()
                            + "; check the name (owner/name, as in the address of its page)")
                    : new DownloadException(Reason.NOT_FOUND, repo + " has no file " + file.path() + " at "
                            + file.revision() + " (404)");
        };
    }

    /** A connection failure in words: offline, a name that does not resolve, a proxy. */
    DownloadException unreachable(URI uri, IOException cause) {
        boolean offline = cause instanceof ConnectException || cause instanceof UnknownHostException
                || cause instanceof HttpConnectTimeoutException || cause.getCause() instanceof ConnectException;
        String what = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new DownloadException(offline ? Reason.OFFLINE : Reason.SERVER, "Cannot reach " + uri.getHost()
                + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + " (" + what + "). Check the network connection and"
                + " proxy settings, or set HF_ENDPOINT to a mirror; what was downloaded is kept and resumes", cause);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static String unquote(String etag) {
        String value = etag.startsWith("W/") ? etag.substring(2) : etag;
        return value.replace("\"", "").strip().toLowerCase(Locale.ROOT);
    }
}
