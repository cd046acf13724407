package dev.parlance.models;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.models.FoundModel.Source;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds models that other programs downloaded: the Hugging Face cache's snapshots, LM Studio's,
 * Jan's and GPT4All's GGUF files, and Ollama's blobs (GGUF files named by digest, described by
 * manifests). Only reads directories; nothing is copied or changed.
 */
public final class ModelDiscovery {
    private static final byte[] GGUF_MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);
    private static final String OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model";
    private static final String OLLAMA_DEFAULT_REGISTRY = "registry.ollama.ai";

    /**
     * Where each program keeps its models; a folder that does not exist is skipped.
     *
     * @param huggingFaceHub the cache's {@code hub} folder ({@code models--owner--name/snapshots/...})
     * @param lmStudio LM Studio's models folders ({@code publisher/repository/*.gguf})
     * @param jan Jan's models folders (a folder per model holding a GGUF file)
     * @param gpt4All GPT4All's download folders (GGUF files)
     * @param ollama Ollama's models folders ({@code manifests/} and {@code blobs/})
     */
    public record Locations(Path huggingFaceHub, List<Path> lmStudio, List<Path> jan, List<Path> gpt4All,
            List<Path> ollama) {
        public Locations {
            lmStudio = List.copyOf(lmStudio);
            jan = List.copyOf(jan);
            gpt4All = List.copyOf(gpt4All);
            ollama = List.copyOf(ollama);
        }

        /**
         * The programs' default folders on this OS, and the variables that move them
         * ({@code HF_HUB_CACHE}, {@code HF_HOME}, {@code OLLAMA_MODELS}).
         *
         * @param env the environment variables
         * @param home the user's home folder
         * @param osName {@code os.name}
         */
        public static Locations defaults(Map<String, String> env, Path home, String osName) {
            String os = osName.toLowerCase(Locale.ROOT);
            Path hub = Optional.ofNullable(env.get("HF_HUB_CACHE")).filter(s -> !s.isBlank()).map(Path::of)
                    .orElseGet(() -> HubAccess.huggingFaceHome(env, home).resolve("hub"));
            Path appData;   // where per-user application data lives
            if (os.contains("win")) {
                appData = Optional.ofNullable(env.get("LOCALAPPDATA")).map(Path::of)
                        .orElseGet(() -> home.resolve("AppData/Local"));
            } else if (os.contains("mac")) {
                appData = home.resolve("Library/Application Support");
            } else {
                appData = Optional.ofNullable(env.get("XDG_DATA_HOME")).filter(s -> !s.isBlank()).map(Path::of)
                        .orElseGet(() -> home.resolve(".local/share"));
            }
            Path roaming = os.contains("win")
                    ? Optional.ofNullable(env.get("APPDATA")).map(Path::of).orElseGet(() -> home.resolve("AppData/Roaming"))
                    : appData;
            List<Path> ollama = new ArrayList<>();
            Optional.ofNullable(env.get("OLLAMA_MODELS")).filter(s -> !s.isBlank()).map(Path::of).ifPresent(ollama::add);
            ollama.add(home.resolve(".ollama/models"));
            if (!os.contains("win") && !os.contains("mac")) {
                ollama.add(Path.of("/usr/share/ollama/.ollama/models"));   // the Linux service's folder
            }
            return new Locations(hub,
                    List.of(home.resolve(".lmstudio/models"), home.resolve(".cache/lm-studio/models")),
                    List.of(home.resolve("jan/models"), roaming.resolve("Jan/data/models"),
                            roaming.resolve("Jan/data/llamacpp/models")),
                    List.of(appData.resolve("nomic.ai/GPT4All")),
                    ollama);
        }
    }

    private final Locations locations;

    public ModelDiscovery(Locations locations) {
        this.locations = locations;
    }

    /** The models found, program by program, each sorted by path. */
    public List<FoundModel> find() {
        List<FoundModel> found = new ArrayList<>(huggingFaceCache(locations.huggingFaceHub()));
        for (Path folder : locations.lmStudio()) {
            found.addAll(ggufFiles(folder, 3, Source.LM_STUDIO));
        }
        for (Path folder : locations.jan()) {
            found.addAll(ggufFiles(folder, 3, Source.JAN));
        }
        for (Path folder : locations.gpt4All()) {
            found.addAll(ggufFiles(folder, 1, Source.GPT4ALL));
        }
        for (Path folder : locations.ollama()) {
            found.addAll(ollama(folder));
        }
        return List.copyOf(found);
    }

    /** Each repository's snapshot of {@code refs/main} (else every snapshot): its GGUF files, or the folder. */
    private static List<FoundModel> huggingFaceCache(Path hub) {
        List<FoundModel> found = new ArrayList<>();
        for (Path repo : children(hub)) {
            String dir = repo.getFileName().toString();
            if (!dir.startsWith("models--")) {
                continue;
            }
            String name = dir.substring("models--".length()).replace("--", "/");
            Optional<String> main = read(repo.resolve("refs/main")).map(String::strip);
            for (Path snapshot : children(repo.resolve("snapshots"))) {
                String commit = snapshot.getFileName().toString();
                if (main.isPresent() && !main.get().equals(commit)) {
                    continue;
                }
                String label = main.isPresent() ? name : name + "@" + commit.substring(0, Math.min(7, commit.length()));
                List<FoundModel> ggufs = ggufFiles(snapshot, 2, Source.HUGGING_FACE_CACHE).stream()
                        .map(f -> new FoundModel(label + "/" + snapshot.relativize(f.path()), f.path(), f.format(),
                                f.source(), f.bytes()))
                        .toList();
                found.addAll(ggufs);
                if (ggufs.isEmpty() && Files.isRegularFile(snapshot.resolve("config.json"))
                        && Files.isRegularFile(snapshot.resolve("tokenizer.json"))
                        && children(snapshot).stream().anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"))) {
                    found.add(new FoundModel(label, snapshot, ModelFormat.SAFETENSORS, Source.HUGGING_FACE_CACHE,
                            InstalledModel.sizeOf(snapshot)));
                }
            }
        }
        return found;
    }

    /** The GGUF files (not vision projectors) at most {@code depth} folders below {@code folder}. */
    private static List<FoundModel> ggufFiles(Path folder, int depth, Source source) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder, depth)) {
            return files.filter(p -> {
                String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return name.endsWith(".gguf") && !name.startsWith("mmproj") && Files.isRegularFile(p);
            }).sorted().map(p -> new FoundModel(p.getFileName().toString(), p, ModelFormat.GGUF, source, size(p))).toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Every manifest's model layer whose blob is a GGUF file, named {@code name:tag} as {@code ollama list} does. */
    private static List<FoundModel> ollama(Path models) {
        Path manifests = models.resolve("manifests");
        if (!Files.isDirectory(manifests)) {
            return List.of();
        }
        List<FoundModel> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(manifests, 4)) {
            for (Path manifest : files.filter(Files::isRegularFile).sorted().toList()) {
                List<String> parts = Arrays.stream(manifests.relativize(manifest).toString().split("[/\\\\]")).toList();
                if (parts.size() != 4) {   // registry/namespace/model/tag
                    continue;
                }
                blob(models, manifest).ifPresent(blob -> found.add(
                        new FoundModel(ollamaName(parts), blob, ModelFormat.GGUF, Source.OLLAMA, size(blob))));
            }
        } catch (IOException | RuntimeException e) {
            return List.copyOf(found);
        }
        return found;
    }

    private static Optional<Path> blob(Path models, Path manifest) {
        try {
            JsonObject json = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
            for (JsonElement layer : json.getAsJsonArray("layers")) {
                JsonObject o = layer.getAsJsonObject();
                if (OLLAMA_MODEL_LAYER.equals(o.get("mediaType").getAsString())) {
                    String digest = o.get("digest").getAsString();   // sha256:hex, stored as blobs/sha256-hex
                    Path blob = models.resolve("blobs").resolve(digest.replace(':', '-'));
                    return isGguf(blob) ? Optional.of(blob) : Optional.empty();
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String ollamaName(List<String> parts) {
        String registry = parts.get(0);
        String namespace = parts.get(1);
        String model = parts.get(2) + ":" + parts.get(3);
        if (!registry.equals(OLLAMA_DEFAULT_REGISTRY)) {
            return registry + "/" + namespace + "/" + model;
        }
        return namespace.equals("library") ? model : namespace + "/" + model;
    }

    private static boolean isGguf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(GGUF_MAGIC.length), GGUF_MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> children(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(folder)) {
            return list.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
