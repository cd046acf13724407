package dev.parlance.inference.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import java.math.BigDecimal;
import java.nio.file.Path;

/** Typed reads of {@code config.json} fields with errors that name the field. */
public final class ConfigJson {
    private static final BigDecimal MAX_INT = BigDecimal.valueOf(Integer.MAX_VALUE);

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

    /**
     * A size or count: a whole number from 1 to {@link Integer#MAX_VALUE}, written as a JSON
     * number ({@code 64.5}, {@code 0} or {@code 1e12} are refused, not rounded or wrapped).
     */
    public int requireInt(String key) throws ModelLoadException {
        if (!has(key)) {
            throw new ModelLoadException(file, "missing \"" + key + "\"");
        }
        JsonElement value = json.get(key);
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw new ModelLoadException(file, "\"" + key + "\" must be a whole number, was " + value);
        }
        BigDecimal number;
        try {
            number = new BigDecimal(value.getAsString());
        } catch (NumberFormatException e) {
            throw new ModelLoadException(file, "\"" + key + "\" must be a whole number, was " + value, e);
        }
        if (number.signum() > 0 && number.compareTo(MAX_INT) > 0) {
            throw new ModelLoadException(file, "\"" + key + "\" is " + value + ", which is too large (at most "
                    + Integer.MAX_VALUE + ")");
        }
        if (number.stripTrailingZeros().scale() > 0) {
            throw new ModelLoadException(file, "\"" + key + "\" must be a whole number, was " + value);
        }
        if (number.signum() <= 0) {
            throw new ModelLoadException(file, "\"" + key + "\" must be at least 1, was " + value);
        }
        return number.intValueExact();
    }

    /** A size or count as {@link #requireInt}, or {@code fallback} when the key is absent or null. */
    public int optInt(String key, int fallback) throws ModelLoadException {
        return has(key) ? requireInt(key) : fallback;
    }

    /**
     * A scale such as an epsilon, a RoPE base or a scaling factor: a finite number above 0 (a
     * zero or negative one makes every answer NaN, so it is refused at load).
     */
    public double optDouble(String key, double fallback) throws ModelLoadException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement value = json.get(key);
        double number;
        try {
            number = value.getAsJsonPrimitive().getAsDouble();
        } catch (RuntimeException e) {
            throw new ModelLoadException(file, "\"" + key + "\" must be a number, was " + value);
        }
        if (!(number > 0) || Double.isInfinite(number)) {
            throw new ModelLoadException(file, "\"" + key + "\" must be a finite number above 0, was " + value);
        }
        return number;
    }

    public boolean optBoolean(String key, boolean fallback) throws ModelLoadException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement value = json.get(key);
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
            throw new ModelLoadException(file, "\"" + key + "\" must be true or false, was " + value);
        }
        return value.getAsBoolean();
    }

    public String optString(String key, String fallback) throws ModelLoadException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement value = json.get(key);
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new ModelLoadException(file, "\"" + key + "\" must be a string, was " + value);
        }
        return value.getAsString();
    }

    public JsonObject optObject(String key) {
        return has(key) && json.get(key).isJsonObject() ? json.getAsJsonObject(key) : null;
    }

    public Path file() {
        return file;
    }
}
