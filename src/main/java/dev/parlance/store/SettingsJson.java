package dev.parlance.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Conversation settings as JSON, with the Chat Completion names ({@code top_p}, {@code max_tokens})
 * so that exported files read like requests. The database keeps the same text, which lets a new
 * setting be added without a schema change.
 */
final class SettingsJson {
    private SettingsJson() {}

    static JsonObject toJson(ConversationSettings settings) {
        ConversationSettings s = settings == null ? ConversationSettings.DEFAULTS : settings;
        JsonObject json = new JsonObject();
        json.addProperty("system_prompt", s.systemPrompt());
        json.addProperty("temperature", finite(s.temperature()));
        json.addProperty("top_p", finite(s.topP()));
        json.addProperty("top_k", s.topK());
        json.addProperty("min_p", finite(s.minP()));
        json.addProperty("repeat_penalty", finite(s.repeatPenalty()));
        json.addProperty("max_tokens", s.maxTokens());
        json.addProperty("context_length", s.contextLength());
        json.addProperty("seed", s.seed());
        json.addProperty("enable_thinking", s.thinking());
        return json;
    }

    static String toText(ConversationSettings settings) {
        return toJson(settings).toString();
    }

    static ConversationSettings fromText(String text) {
        if (text == null || text.isBlank()) {
            return ConversationSettings.DEFAULTS;
        }
        return fromJson(JsonParser.parseString(text).getAsJsonObject());
    }

    static ConversationSettings fromJson(JsonObject json) {
        return new ConversationSettings(
                present(json, "system_prompt") ? json.get("system_prompt").getAsString() : null,
                present(json, "temperature") ? finite(json.get("temperature").getAsDouble()) : null,
                present(json, "top_p") ? finite(json.get("top_p").getAsDouble()) : null,
                present(json, "top_k") ? json.get("top_k").getAsInt() : null,
                present(json, "min_p") ? finite(json.get("min_p").getAsDouble()) : null,
                present(json, "repeat_penalty") ? finite(json.get("repeat_penalty").getAsDouble()) : null,
                present(json, "max_tokens") ? json.get("max_tokens").getAsInt() : null,
                present(json, "context_length") ? json.get("context_length").getAsInt() : null,
                present(json, "seed") ? json.get("seed").getAsLong() : null,
                present(json, "enable_thinking") ? json.get("enable_thinking").getAsBoolean() : null);
    }

    /**
     * The value, or null ("the app-wide default") when it is NaN or infinite: JSON has no such
     * numbers, so neither the database nor an exported file may hold one.
     */
    private static Double finite(Double value) {
        return value == null || Double.isFinite(value) ? value : null;
    }

    private static boolean present(JsonObject json, String name) {
        JsonElement value = json.get(name);
        return value != null && !value.isJsonNull();
    }
}
