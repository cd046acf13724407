package dev.parlance.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.service.ModelInfo;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The response bodies of OpenAI's API, built from what the engine reports. */
final class ResponseJson {
    private ResponseJson() {}

    /** {@code GET /v1/models/{id}}, and each entry of the list. */
    static JsonObject model(ModelInfo model, long created) {
        JsonObject json = new JsonObject();
        json.addProperty("id", model.name());
        json.addProperty("object", "model");
        json.addProperty("created", created);
        json.addProperty("owned_by", "parlance");
        return json;
    }

    static JsonObject modelList(ModelInfo model, long created) {
        JsonArray data = new JsonArray();
        data.add(model(model, created));
        JsonObject json = new JsonObject();
        json.addProperty("object", "list");
        json.add("data", data);
        return json;
    }

    /** The envelope shared by every response and chunk of one answer. */
    static JsonObject envelope(String id, String object, long created, String model) {
        JsonObject json = new JsonObject();
        json.addProperty("id", id);
        json.addProperty("object", object);
        json.addProperty("created", created);
        json.addProperty("model", model);
        json.add("system_fingerprint", JsonNull.INSTANCE);
        return json;
    }

    /** {@code stop} for an end-of-sequence token or a stop string, {@code length} for a limit. */
    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case LENGTH, CONTEXT_FULL -> "length";
            case STOP, CANCELLED, ERROR, INTERRUPTED -> "stop";
        };
    }

    /** Token counts as the model counted them; {@code cached_tokens} came from the KV cache of an earlier request. */
    static JsonObject usage(GenerationStats stats) {
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", stats.promptTokens());
        usage.addProperty("completion_tokens", stats.generatedTokens());
        usage.addProperty("total_tokens", stats.promptTokens() + stats.generatedTokens());
        JsonObject details = new JsonObject();
        details.addProperty("cached_tokens", stats.reusedTokens());
        usage.add("prompt_tokens_details", details);
        return usage;
    }

    /** Chat completions' {@code logprobs}: {@code {"content": [{token, logprob, bytes, top_logprobs}]}}. */
    static JsonObject chatLogprobs(List<TokenLogprob> logprobs, int top) {
        JsonArray content = new JsonArray();
        for (TokenLogprob logprob : logprobs) {
            JsonObject entry = tokenEntry(logprob.token(), logprob.logprob());
            JsonArray alternatives = new JsonArray();
            for (TokenLogprob.Alternative alternative : logprob.top().subList(0, Math.min(top, logprob.top().size()))) {
                alternatives.add(tokenEntry(alternative.token(), alternative.logprob()));
            }
            entry.add("top_logprobs", alternatives);
            content.add(entry);
        }
        JsonObject json = new JsonObject();
        json.add("content", content);
        return json;
    }

    private static JsonObject tokenEntry(String token, double logprob) {
        JsonObject entry = new JsonObject();
        entry.addProperty("token", token);
        entry.addProperty("logprob", logprob);
        JsonArray bytes = new JsonArray();
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        entry.add("bytes", bytes);
        return entry;
    }

    /**
     * Completions' (legacy) {@code logprobs}: parallel arrays of tokens, their log-probabilities,
     * a map of the best alternatives per token, and each token's offset in the text.
     *
     * @param offset where the first of these tokens starts in the answer text
     */
    static JsonObject completionLogprobs(List<TokenLogprob> logprobs, int top, int offset) {
        JsonArray tokens = new JsonArray();
        JsonArray values = new JsonArray();
        JsonArray tops = new JsonArray();
        JsonArray offsets = new JsonArray();
        int at = offset;
        for (TokenLogprob logprob : logprobs) {
            tokens.add(logprob.token());
            values.add(logprob.logprob());
            JsonObject alternatives = new JsonObject();
            for (TokenLogprob.Alternative alternative : logprob.top().subList(0, Math.min(top, logprob.top().size()))) {
                alternatives.addProperty(alternative.token(), alternative.logprob());
            }
            tops.add(alternatives);
            offsets.add(at);
            at += logprob.token().length();
        }
        JsonObject json = new JsonObject();
        json.add("tokens", tokens);
        json.add("token_logprobs", values);
        json.add("top_logprobs", tops);
        json.add("text_offset", offsets);
        return json;
    }
}
