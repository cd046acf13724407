package dev.parlance.models;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The curated models Parlance offers to download ({@code models/catalog.json}, on the class path as
 * {@code dev/parlance/models/catalog.json}; its format is in {@code models/README.md}).
 *
 * @param memoryContext the context length, in tokens, whose KV cache each variant's memory includes
 * @param models the entries in catalog order, smallest first
 */
public record Catalog(int memoryContext, List<CatalogModel> models) {
    private static final String RESOURCE = "/dev/parlance/models/catalog.json";

    public Catalog {
        models = List.copyOf(models);
        var ids = new HashSet<String>();
        for (CatalogModel model : models) {
            if (!ids.add(model.id())) {
                throw new IllegalArgumentException("the catalog lists \"" + model.id() + "\" twice");
            }
        }
    }

    /** The catalog shipped with Parlance. */
    public static Catalog builtIn() {
        try (InputStream in = Catalog.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a catalog in the {@code catalog.json} format.
     *
     * @throws IllegalArgumentException naming the entry and field that is missing or invalid
     */
    public static Catalog parse(Reader json) {
        JsonObject root;
        try {
            root = JsonParser.parseReader(json).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException("the catalog is not a JSON object: " + e.getMessage(), e);
        }
        if (integer(root, "format", "catalog") != 1) {
            throw new IllegalArgumentException("the catalog's format is " + root.get("format") + "; this Parlance reads format 1");
        }
        List<CatalogModel> models = new ArrayList<>();
        for (JsonElement element : array(root, "models", "catalog")) {
            models.add(model(element.getAsJsonObject()));
        }
        return new Catalog((int) integer(root, "memory_context", "catalog"), models);
    }

    /** The entry with that id, ignoring case. */
    public Optional<CatalogModel> find(String id) {
        return models.stream().filter(m -> m.id().equalsIgnoreCase(id)).findFirst();
    }

    /** The entries whose id, name, repository, architecture, a language or a task contains the text. */
    public List<CatalogModel> search(String text) {
        return models.stream().filter(m -> m.matches(text)).toList();
    }

    private static CatalogModel model(JsonObject o) {
        String id = string(o, "id", "a catalog entry");
        String repo = string(o, "repo", id);
        String revision = string(o, "revision", id);
        List<Variant> variants = new ArrayList<>();
        for (JsonElement element : array(o, "variants", id)) {
            variants.add(variant(element.getAsJsonObject(), id, repo, revision));
        }
        return new CatalogModel(id, string(o, "name", id), repo, string(o, "license", id),
                o.has("gated") && o.get("gated").getAsBoolean(), integer(o, "parameters", id),
                (int) integer(o, "context_length", id), strings(o, "languages", id), strings(o, "tasks", id),
                string(o, "architecture", id), string(o, "hf_architecture", id), (int) integer(o, "layers", id),
                (int) integer(o, "kv_heads", id), (int) integer(o, "head_dim", id),
                o.has("needs") ? Optional.of(string(o, "needs", id)) : Optional.empty(), variants);
    }

    private static Variant variant(JsonObject o, String id, String repo, String revision) {
        String name = string(o, "name", id);
        String where = id + ":" + name;
        ModelFormat format;
        try {
            format = ModelFormat.valueOf(string(o, "format", where).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": format must be gguf or safetensors, not " + o.get("format"), e);
        }
        List<ModelFile> files = new ArrayList<>();
        for (JsonElement element : array(o, "files", where)) {
            JsonObject file = element.getAsJsonObject();
            files.add(new ModelFile(string(file, "path", where), integer(file, "size", where)));
        }
        return new Variant(name, format, o.has("repo") ? string(o, "repo", where) : repo,
                o.has("revision") ? string(o, "revision", where) : revision, files, integer(o, "memory", where));
    }

    private static String string(JsonObject o, String field, String where) {
        JsonElement value = o.get(field);
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()
                || value.getAsString().isBlank()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a non-empty string");
        }
        return value.getAsString();
    }

    private static long integer(JsonObject o, String field, String where) {
        JsonElement value = o.get(field);
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a number");
        }
        return value.getAsLong();
    }

    private static JsonArray array(JsonObject o, String field, String where) {
        JsonElement value = o.get(field);
        if (value == null || !value.isJsonArray()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be an array");
        }
        return value.getAsJsonArray();
    }

    private static List<String> strings(JsonObject o, String field, String where) {
        List<String> values = new ArrayList<>();
        for (JsonElement element : array(o, field, where)) {
            values.add(element.getAsString());
        }
        return values;
    }
}
