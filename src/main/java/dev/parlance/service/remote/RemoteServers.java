package dev.parlance.service.remote;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The servers the user added, kept in {@code servers.json} in the data folder:
 * {@code [{"name", "baseUrl", "apiKey"}]}. The file holds keys, so it is readable and writable by
 * its owner only where the file system has POSIX permissions ({@code rw-------}, set when the file is
 * created, and again if someone widened them); on Windows the per-user data folder's own access
 * rules keep it private. Nothing here logs, and no message names a key. FX-free and thread-safe.
 */
public final class RemoteServers {
    /** The file's name in the data folder. */
    public static final String FILE_NAME = "servers.json";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path file;

    /** @param file where the servers are kept; it and its folder are created on the first {@link #add} */
    public RemoteServers(Path file) {
        this.file = file;
    }

    /** The servers kept in {@code dataFolder}. */
    public static RemoteServers in(Path dataFolder) {
        return new RemoteServers(dataFolder.resolve(FILE_NAME));
    }

    /** Where the servers are kept. */
    public Path file() {
        return file;
    }

    /**
     * The servers, in the order they were added; none when the file does not exist yet.
     *
     * @throws IOException when the file cannot be read or is not a list of servers
     */
    public synchronized List<RemoteServer> list() throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        restrict(file);
        List<RemoteServer> servers = new ArrayList<>();
        try {
            for (JsonElement element : JsonParser.parseString(text).getAsJsonArray()) {
                JsonObject json = element.getAsJsonObject();
                JsonElement key = json.get("apiKey");
                servers.add(new RemoteServer(json.get("name").getAsString(), URI.create(json.get("baseUrl").getAsString()),
                        key == null || key.isJsonNull() ? null : key.getAsString()));
            }
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a list of servers (name, baseUrl, apiKey); "
                    + "fix it or remove it and add the servers again.");
        }
        return List.copyOf(servers);
    }

    /** The server of this name (names are compared ignoring case). */
    public synchronized Optional<RemoteServer> find(String name) throws IOException {
        return list().stream().filter(s -> s.name().equalsIgnoreCase(name.strip())).findFirst();
    }

    /** Adds a server, replacing one of the same name. */
    public synchronized void add(RemoteServer server) throws IOException {
        List<RemoteServer> servers = new ArrayList<>(list());
        servers.removeIf(s -> s.name().equalsIgnoreCase(server.name()));
        servers.add(server);
        write(servers);
    }

    /** Removes the server of this name; false if there was none. */
    public synchronized boolean remove(String name) throws IOException {
        List<RemoteServer> servers = new ArrayList<>(list());
        boolean removed = servers.removeIf(s -> s.name().equalsIgnoreCase(name.strip()));
        if (removed) {
            write(servers);
        }
        return removed;
    }

    /** Writes a new file with owner-only permissions from the start, then moves it over the old one. */
    private void write(List<RemoteServer> servers) throws IOException {
        JsonArray array = new JsonArray();
        for (RemoteServer server : servers) {
            JsonObject json = new JsonObject();
            json.addProperty("name", server.name());
            json.addProperty("baseUrl", server.baseUrl().toString());
            if (server.apiKey() != null) {
                json.addProperty("apiKey", server.apiKey());
            }
            array.add(json);
        }
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path temp = posix()
                ? Files.createTempFile(folder, FILE_NAME, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                : Files.createTempFile(folder, FILE_NAME, ".tmp");
        try {
            Files.writeString(temp, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(array),
                    StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Takes back any permission beyond the owner's that someone gave the file. */
    private static void restrict(Path file) throws IOException {
        if (posix() && !Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
