package dev.parlance.models;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where models are downloaded from and with which credentials: the Hugging Face Hub, or the mirror
 * {@code HF_ENDPOINT} names, and the access token that gated repositories require.
 *
 * @param endpoint the Hub's base URI, without a trailing slash
 * @param token the access token, sent as a Bearer header to the endpoint only (never to a redirect target elsewhere)
 */
public record HubAccess(URI endpoint, Optional<String> token) {
    /** The Hub; {@code HF_ENDPOINT} replaces it. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public HubAccess {
        String text = endpoint.toString();
        endpoint = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        if (endpoint.getScheme() == null || endpoint.getHost() == null) {
            throw new IllegalArgumentException("the endpoint must be an absolute http(s) URL, not " + text);
        }
        token = token.map(String::strip).filter(t -> !t.isEmpty());
    }

    /**
     * From the environment: {@code HF_ENDPOINT} (else the Hub), and the token from {@code HF_TOKEN},
     * else the file {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token}, else
     * {@code ~/.cache/huggingface/token} (where {@code hf auth login} saves it).
     *
     * @param env the environment variables, {@code System.getenv()} in the application
     * @param home the user's home folder
     */
    public static HubAccess fromEnvironment(Map<String, String> env, Path home) {
        String endpoint = nonBlank(env.get("HF_ENDPOINT")).orElse(DEFAULT_ENDPOINT);
        Optional<String> token = nonBlank(env.get("HF_TOKEN"));
        if (token.isEmpty()) {
            token = readToken(tokenFile(env, home));
        }
        return new HubAccess(URI.create(endpoint), token);
    }

    /**
     * Where the saved token lives: {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token} (the file
     * {@code hf auth login} writes and {@link #fromEnvironment} reads).
     */
    public static Path tokenFile(Map<String, String> env, Path home) {
        return nonBlank(env.get("HF_TOKEN_PATH")).map(Path::of)
                .orElseGet(() -> huggingFaceHome(env, home).resolve("token"));
    }

    /**
     * Saves the token where {@link #fromEnvironment} reads it, readable by the user only where the
     * file system has POSIX permissions; a blank token removes the file.
     *
     * @return the file written or removed
     */
    public static Path saveToken(Map<String, String> env, Path home, String token) throws IOException {
        Path file = tokenFile(env, home);
        if (token == null || token.isBlank()) {
            Files.deleteIfExists(file);
            return file;
        }
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path temporary = Files.createTempFile(folder, ".token", ".tmp");
        try {
            if (Files.getFileStore(folder).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            }
            Files.writeString(temporary, token.strip());
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return file;
    }

    /** {@code $HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface}. */
    public static Path huggingFaceHome(Map<String, String> env, Path home) {
        return nonBlank(env.get("HF_HOME")).map(Path::of)
                .or(() -> nonBlank(env.get("XDG_CACHE_HOME")).map(p -> Path.of(p, "huggingface")))
                .orElseGet(() -> home.resolve(".cache").resolve("huggingface"));
    }

    /** {@code {endpoint}/{repo}/resolve/{revision}/{path}}. */
    public URI resolveUri(String repo, String revision, String path) {
        return URI.create(endpoint + "/" + repo + "/resolve/" + encode(revision) + "/" + encodePath(path));
    }

    /** {@code {endpoint}/api/models/{repo}/revision/{revision}}: the model's files ({@code siblings}). */
    public URI modelApiUri(String repo, String revision) {
        return URI.create(endpoint + "/api/models/" + repo + "/revision/" + encode(revision));
    }

    /** The model's page, where a gated model's licence is accepted. */
    public URI modelPage(String repo) {
        return URI.create(endpoint + "/" + repo);
    }

    /** The page where access tokens are made. */
    public URI tokenPage() {
        return URI.create(endpoint + "/settings/tokens");
    }

    /** Whether the URI is on the endpoint's origin (scheme, host and port), so the token may go to it. */
    public boolean isEndpoint(URI uri) {
        return endpoint.getScheme().equalsIgnoreCase(uri.getScheme())
                && endpoint.getHost().equalsIgnoreCase(uri.getHost())
                && port(endpoint) == port(uri);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static String encodePath(String path) {
        return Arrays.stream(path.split("/")).map(HubAccess::encode).collect(Collectors.joining("/"));
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Optional<String> readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? nonBlank(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }
}
