package dev.parlance.service.remote;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * An OpenAI-compatible server the user added: vLLM, TGI, llama.cpp's server, Ollama, a company
 * gateway, another {@code parlance serve}. {@link #toString} never shows the key.
 *
 * @param name what the user calls it, shown beside its models
 * @param baseUrl the API's root, ending in {@code /v1} ({@link #parseUrl} adds it when missing)
 * @param apiKey sent as {@code Authorization: Bearer}, or null for a server without keys
 */
public record RemoteServer(String name, URI baseUrl, String apiKey) {
    public RemoteServer {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A server needs a name.");
        }
        name = name.strip();
        baseUrl = parseUrl(baseUrl.toString());
        apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
    }

    /**
     * Reads a base URL as OpenAI clients take it ({@code http://host:8080/v1}); {@code /v1} is
     * added when the path does not end with it, and a trailing slash is dropped.
     *
     * @throws IllegalArgumentException with a message fit to show a person
     */
    public static URI parseUrl(String text) {
        String url = text == null ? "" : text.strip();
        if (!url.contains("://")) {
            throw notAnAddress(url);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getReason() + ".");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw notAnAddress(url);
        }
        if (uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("Write the server's address without a user name, query or "
                    + "fragment (http://host:port/v1); a key goes in the key field.");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (!path.endsWith("/v1")) {
            path = path + "/v1";
        }
        return URI.create(scheme + "://" + uri.getRawAuthority() + path);
    }

    private static IllegalArgumentException notAnAddress(String url) {
        return new IllegalArgumentException("'" + url + "' is not a server address; write it as "
                + "http://host:port/v1 or https://host/v1.");
    }

    /** An endpoint under the base URL, such as {@code chat/completions}. */
    public URI endpoint(String path) {
        return URI.create(baseUrl + "/" + path);
    }

    /** Says whether a key is set, never the key. */
    @Override
    public String toString() {
        return "RemoteServer[name=" + name + ", baseUrl=" + baseUrl + ", apiKey=" + (apiKey == null ? "none" : "set") + "]";
    }
}
