package dev.parlance.ui.models;

import dev.parlance.models.Catalog;
import dev.parlance.models.HubAccess;
import dev.parlance.models.ModelDiscovery;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the Models page gets models from: the catalog, and the environment that names the Hub (or
 * its mirror, {@code HF_ENDPOINT}), the saved token, and the other programs' model folders. Tests
 * give their own catalog and an environment that points at a local server.
 *
 * @param catalog the curated models offered for download
 * @param env the environment variables ({@code System.getenv()} in the app)
 * @param home the user's home folder
 * @param osName the {@code os.name} system property, which decides where other programs keep models
 */
public record ModelSources(Catalog catalog, Map<String, String> env, Path home, String osName) {
    public ModelSources {
        env = Map.copyOf(env);
    }

    /** The built-in catalog and this process's environment. */
    public static ModelSources system() {
        return new ModelSources(Catalog.builtIn(), System.getenv(), Path.of(System.getProperty("user.home")),
                System.getProperty("os.name", ""));
    }

    /** The Hub and the token, read again each time so that a newly saved token counts. */
    public HubAccess hub() {
        return HubAccess.fromEnvironment(env, home);
    }

    /** Whether {@code HF_TOKEN} is set, which overrides a token saved from the page. */
    public boolean tokenFromEnvironment() {
        String token = env.get("HF_TOKEN");
        return token != null && !token.isBlank();
    }

    /** Saves the token where {@link #hub()} reads it; returns the file. */
    public Path saveToken(String token) throws IOException {
        return HubAccess.saveToken(env, home, token);
    }

    /** The other programs' model folders. */
    public ModelDiscovery discovery() {
        return new ModelDiscovery(ModelDiscovery.Locations.defaults(env, home, osName));
    }
}
