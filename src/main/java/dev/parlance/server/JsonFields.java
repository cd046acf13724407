package dev.parlance.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed, range-checked reads of a request body's fields. A wrong type or value is an
 * {@link ApiError} naming the field, in the words OpenAI's API uses; a field that is absent or
 * {@code null} gives the caller's default.
 */
final class JsonFields {
    private final JsonObject body;

    JsonFields(JsonObject body) {
        this.body = body;
    }

    boolean has(String name) {
        return body.has(name) && !body.get(name).isJsonNull();
    }

    JsonElement get(String name) {
        return has(name) ? body.get(name) : null;
    }

    String string(String name, String fallback) throws ApiError {
        JsonElement value = get(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof JsonPrimitive p && p.isString())) {
            throw wrongType(name, "a string", value);
        }
        return p.getAsString();
    }

    boolean bool(String name, boolean fallback) throws ApiError {
        JsonElement value = get(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof JsonPrimitive p && p.isBoolean())) {
            throw wrongType(name, "a boolean", value);
        }
        return p.getAsBoolean();
    }

    double number(String name, double fallback, double min, double max) throws ApiError {
        JsonElement value = get(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof JsonPrimitive p && p.isNumber())) {
            throw wrongType(name, "a number", value);
        }
        double number = p.getAsDouble();
        if (!(number >= min && number <= max)) {
            throw ApiError.invalid(name, "invalid_value", "Invalid '" + name + "': " + p.getAsString()
                    + " is out of range; expected a number from " + plain(min) + " to " + plain(max) + ".");
        }
        return number;
    }

    long integer(String name, long fallback, long min, long max) throws ApiError {
        JsonElement value = get(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof JsonPrimitive p && p.isNumber())) {
            throw wrongType(name, "an integer", value);
        }
        BigDecimal exact = p.getAsBigDecimal();
        if (exact.stripTrailingZeros().scale() > 0) {
            throw wrongType(name, "an integer", value);
        }
        if (exact.compareTo(BigDecimal.valueOf(min)) < 0 || exact.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw ApiError.invalid(name, "invalid_value", "Invalid '" + name + "': " + p.getAsString()
                    + " is out of range; expected an integer from " + min + " to " + max + ".");
        }
        return exact.longValueExact();
    }

    /** A string or an array of strings (OpenAI's {@code stop}), at most {@code max} of them. */
    List<String> strings(String name, int max) throws ApiError {
        JsonElement value = get(name);
        List<String> strings = new ArrayList<>();
        if (value == null) {
            return strings;
        }
        if (value instanceof JsonPrimitive p && p.isString()) {
            strings.add(p.getAsString());
            return strings;
        }
        if (!(value instanceof JsonArray array)) {
            throw wrongType(name, "a string or an array of strings", value);
        }
        for (JsonElement item : array) {
            if (!(item instanceof JsonPrimitive p && p.isString())) {
                throw wrongType(name, "a string or an array of strings", value);
            }
            strings.add(p.getAsString());
        }
        if (strings.size() > max) {
            throw ApiError.invalid(name, "invalid_value", "Invalid '" + name + "': at most " + max
                    + " strings are allowed, got " + strings.size() + ".");
        }
        return strings;
    }

    /** An object field, or null when absent. */
    JsonFields object(String name) throws ApiError {
        JsonElement value = get(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof JsonObject object)) {
            throw wrongType(name, "an object", value);
        }
        return new JsonFields(object);
    }

    static ApiError wrongType(String name, String expected, JsonElement got) {
        return ApiError.invalid(name, "invalid_type", "Invalid type for '" + name + "': expected " + expected
                + ", but got " + describe(got) + " instead.");
    }

    static String describe(JsonElement value) {
        if (value == null || value.isJsonNull()) {
            return "null";
        }
        if (value.isJsonObject()) {
            return "an object";
        }
        if (value.isJsonArray()) {
            return "an array";
        }
        JsonPrimitive p = value.getAsJsonPrimitive();
        return p.isBoolean() ? "a boolean" : p.isNumber() ? "a number" : "a string";
    }

    private static String plain(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
