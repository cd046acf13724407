package dev.parlance.inference.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import java.nio.file.Path;

/** Typed reads of {@code config.json} fields with errors that name the field. */
public final class ConfigJson {
    private final JsonObject json;
    private final Path file;

    public ConfigJson(JsonObject json, Path file) {
        this.json = json;
        this.file = file;
    }

    public boolean has(String key) {
        JsonElement value = json.get(key);
        return value != null && !value.isJsonNull();
    }

    public int requireInt(String key) throws ModelLoadException {
        if (!has(key)) {
            throw new ModelLoadException(file, "missing \"" + key + "\"");
        }
        try {
            return json.get(key).getAsInt();
        } catch (RuntimeException e) {
            throw new ModelLoadException(file, "\"" + key + "\" must be an integer, was " + json.get(key));
        }
    }

    public int optInt(String key, int fallback) throws ModelLoadException {
        return has(key) ? requireInt(key) : fallback;
    }

    public double optDouble(String key, double fallback) throws ModelLoadException {
        if (!has(key)) {
            return fallback;
        }
        try {
            return json.get(key).getAsDouble();
        } catch (RuntimeException e) {
            throw new ModelLoadException(file, "\"" + key + "\" must be a number, was " + json.get(key));
        }
    }

    public boolean optBoolean(String key, boolean fallback) {
        return has(key) ? json.get(key).getAsBoolean() : fallback;
    }

    public String optString(String key, String fallback) {
        return has(key) ? json.get(key).getAsString() : fallback;
    }

    public JsonObject optObject(String key) {
        return has(key) && json.get(key).isJsonObject() ? json.getAsJsonObject(key) : null;
    }

    public Path file() {
        return file;
    }
}
