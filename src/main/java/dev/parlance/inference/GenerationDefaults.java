package dev.parlance.inference;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a model's authors recommend: end-of-sequence ids and sampling settings, from
 * {@code generation_config.json} (falling back to {@code config.json}).
 *
 * @param eosIds every id that ends generation (generation_config.json may list several)
 * @param bosId the beginning-of-sequence id, or -1
 * @param sampling recommended sampling; greedy when the config says {@code do_sample: false}
 */
public record GenerationDefaults(Set<Integer> eosIds, int bosId, SamplingConfig sampling) {
    /** The answer budget when a model recommends none. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 1024;

    public GenerationDefaults {
        eosIds = Set.copyOf(eosIds);
    }

    /**
     * The answer budget for a context window when nobody chose one: a quarter of the window, at
     * most {@link #DEFAULT_MAX_NEW_TOKENS}, so that three quarters stay for the conversation so far
     * (a budget as long as the window left no room for history on small models).
     *
     * @param contextLength the tokens of context the model sees; 0 or less when not known
     */
    public static int answerLength(int contextLength) {
        if (contextLength <= 0) {
            return DEFAULT_MAX_NEW_TOKENS;
        }
        return Math.max(1, Math.min(DEFAULT_MAX_NEW_TOKENS, contextLength / 4));
    }

    /**
     * Reads both files (either may be null).
     *
     * @throws IllegalArgumentException naming the key, when a value is of the wrong type or out of
     *     range
     */
    public static GenerationDefaults from(JsonObject generationConfig, JsonObject config) {
        Set<Integer> eos = new LinkedHashSet<>();
        JsonObject source = generationConfig != null && generationConfig.has("eos_token_id") ? generationConfig : config;
        addIds(source == null ? null : source.get("eos_token_id"), eos);
        int bos = -1;
        JsonObject bosSource = generationConfig != null && generationConfig.has("bos_token_id") ? generationConfig : config;
        if (bosSource != null && bosSource.has("bos_token_id") && !bosSource.get("bos_token_id").isJsonNull()) {
            bos = tokenId(bosSource.get("bos_token_id"), "bos_token_id");
        }
        JsonObject g = generationConfig == null ? new JsonObject() : generationConfig;
        try {
            return new GenerationDefaults(eos, bos, sampling(g, bool(g, "do_sample", false)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("generation_config.json: " + e.getMessage(), e);
        }
    }

    private static SamplingConfig sampling(JsonObject g, boolean sample) {
        return new SamplingConfig(
                sample ? number(g, "temperature", 1.0) : 0.0,
                sample ? (int) number(g, "top_k", 50) : 0,
                sample ? clampTopP(number(g, "top_p", 1.0)) : 1.0,
                sample ? number(g, "min_p", 0.0) : 0.0,
                number(g, "repetition_penalty", 1.0),
                0,
                (int) number(g, "max_new_tokens", DEFAULT_MAX_NEW_TOKENS),
                List.of());
    }

    private static double clampTopP(double topP) {
        return topP <= 0 || topP > 1 ? 1.0 : topP;
    }

    private static void addIds(JsonElement element, Set<Integer> into) {
        if (element == null || element.isJsonNull()) {
            return;
        }
        if (element.isJsonArray()) {
            JsonArray array = element.getAsJsonArray();
            for (JsonElement id : array) {
                into.add(tokenId(id, "eos_token_id"));
            }
        } else {
            into.add(tokenId(element, "eos_token_id"));
        }
    }

    private static int tokenId(JsonElement element, String key) {
        if (!element.isJsonPrimitive() || !element.getAsJsonPrimitive().isNumber()
                || element.getAsDouble() != Math.rint(element.getAsDouble()) || element.getAsDouble() < 0
                || element.getAsDouble() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + " must be a token id or a list of them, not " + element);
        }
        return element.getAsInt();
    }

    private static double number(JsonObject json, String key, double fallback) {
        JsonElement value = json.get(key);
        if (value == null || value.isJsonNull()) {
            return fallback;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(key + " must be a number, not " + value);
        }
        return value.getAsDouble();
    }

    private static boolean bool(JsonObject json, String key, boolean fallback) {
        JsonElement value = json.get(key);
        if (value == null || value.isJsonNull()) {
            return fallback;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException(key + " must be true or false, not " + value);
        }
        return value.getAsBoolean();
    }
}
