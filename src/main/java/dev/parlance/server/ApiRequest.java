package dev.parlance.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.service.ModelInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A generation request of either endpoint, checked field by field. Sampling fields a request
 * leaves out take the model's own defaults ({@code generation_config.json}); a request without a
 * {@code seed} gets a random one.
 *
 * @param kind which endpoint
 * @param messages the conversation (chat completions), else empty
 * @param prompt the text to continue (completions), else null
 * @param thinking a chat template's {@code enable_thinking} switch (vLLM's
 *     {@code chat_template_kwargs.enable_thinking}), or null for the template's default
 * @param logprobs whether to report each token's log-probability
 * @param topLogprobs how many alternatives to report per token (0 to 20)
 * @param stream answer as server-sent events
 * @param includeUsage with {@code stream}: end with a chunk that carries {@code usage}
 */
record ApiRequest(Kind kind, List<Message> messages, String prompt, Boolean thinking, SamplingConfig sampling,
        boolean logprobs, int topLogprobs, boolean stream, boolean includeUsage) {
    enum Kind { CHAT, COMPLETION }

    /** The most stop strings a request may give, as OpenAI allows. */
    static final int MAX_STOPS = 4;

    /** Parses {@code POST /v1/chat/completions}. */
    static ApiRequest chat(JsonObject body, ModelInfo model) throws ApiError {
        JsonFields fields = new JsonFields(body);
        checkModel(fields, model);
        List<Message> messages = messages(fields);
        int maxTokens = (int) fields.integer("max_completion_tokens",
                fields.integer("max_tokens", model.defaults().maxNewTokens(), 1, Integer.MAX_VALUE), 1, Integer.MAX_VALUE);
        boolean logprobs = fields.bool("logprobs", false);
        int top = (int) fields.integer("top_logprobs", 0, 0, 20);
        if (top > 0 && !logprobs) {
            throw ApiError.invalid("top_logprobs", "invalid_value",
                    "Invalid 'top_logprobs': it needs 'logprobs' set to true.");
        }
        boolean stream = fields.bool("stream", false);
        return new ApiRequest(Kind.CHAT, messages, null, thinking(fields), sampling(fields, model.defaults(), maxTokens),
                logprobs, top, stream, includeUsage(fields));
    }

    /** Parses {@code POST /v1/completions}. */
    static ApiRequest completion(JsonObject body, ModelInfo model) throws ApiError {
        JsonFields fields = new JsonFields(body);
        checkModel(fields, model);
        String prompt = prompt(fields);
        if (fields.bool("echo", false)) {
            throw ApiError.invalid("echo", "unsupported_value", "'echo' is not supported by this server.");
        }
        if (fields.has("suffix")) {
            throw ApiError.invalid("suffix", "unsupported_value", "'suffix' is not supported by this server.");
        }
        fields.integer("best_of", 1, 1, 1); // refuses anything but one answer per request
        int maxTokens = (int) fields.integer("max_tokens", model.defaults().maxNewTokens(), 1, Integer.MAX_VALUE);
        boolean logprobs = fields.has("logprobs");
        int top = (int) fields.integer("logprobs", 0, 0, 5);
        boolean stream = fields.bool("stream", false);
        return new ApiRequest(Kind.COMPLETION, List.of(), prompt, null, sampling(fields, model.defaults(), maxTokens),
                logprobs, top, stream, includeUsage(fields));
    }

    /** The model field must name the model this server has loaded. */
    private static void checkModel(JsonFields fields, ModelInfo model) throws ApiError {
        if (!fields.has("model")) {
            throw ApiError.invalid("model", "missing_required_parameter",
                    "You must provide a model parameter (this server serves '" + model.name() + "').");
        }
        String name = fields.string("model", null);
        if (!name.equals(model.name())) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + name + "' does not exist; this server serves '" + model.name() + "'.");
        }
    }

    private static SamplingConfig sampling(JsonFields fields, SamplingConfig defaults, int maxTokens) throws ApiError {
        if (fields.integer("n", 1, 1, 128) != 1) {
            throw ApiError.invalid("n", "unsupported_value", "Only n = 1 is supported: one answer per request.");
        }
        double temperature = fields.number("temperature", defaults.temperature(), 0, 2);
        double topP = fields.number("top_p", defaults.topP(), 0, 1);
        if (topP == 0) {
            // the nucleus of probability 0 is the single most likely token
            temperature = 0;
            topP = 1;
        }
        int topK = (int) fields.integer("top_k", defaults.topK(), 0, Integer.MAX_VALUE);
        double minP = fields.number("min_p", defaults.minP(), 0, 0.999);
        double repeat = fields.number("repetition_penalty", defaults.repeatPenalty(), 0.01, 10);
        long seed = fields.integer("seed", ThreadLocalRandom.current().nextLong(), Long.MIN_VALUE, Long.MAX_VALUE);
        List<String> stops = fields.strings("stop", MAX_STOPS);
        double frequency = fields.number("frequency_penalty", 0, -2, 2);
        double presence = fields.number("presence_penalty", 0, -2, 2);
        return new SamplingConfig(temperature, topK, topP, minP, repeat, seed, maxTokens, stops, frequency, presence);
    }

    private static Boolean thinking(JsonFields fields) throws ApiError {
        JsonFields kwargs = fields.object("chat_template_kwargs");
        return kwargs == null || !kwargs.has("enable_thinking") ? null : kwargs.bool("enable_thinking", true);
    }

    private static boolean includeUsage(JsonFields fields) throws ApiError {
        JsonFields options = fields.object("stream_options");
        return options != null && options.bool("include_usage", false);
    }

    private static List<Message> messages(JsonFields fields) throws ApiError {
        JsonElement value = fields.get("messages");
        if (value == null) {
            throw ApiError.invalid("messages", "missing_required_parameter", "Missing required parameter: 'messages'.");
        }
        if (!(value instanceof JsonArray array)) {
            throw JsonFields.wrongType("messages", "an array", value);
        }
        if (array.isEmpty()) {
            throw ApiError.invalid("messages", "empty_array",
                    "Invalid 'messages': empty array. Expected an array with minimum length 1.");
        }
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String at = "messages[" + i + "]";
            if (!(array.get(i) instanceof JsonObject object)) {
                throw JsonFields.wrongType(at, "an object", array.get(i));
            }
            JsonFields message = new JsonFields(object);
            Role role = role(message, at);
            messages.add(new Message(role, content(message, at, role)));
        }
        return messages;
    }

    private static Role role(JsonFields message, String at) throws ApiError {
        String role = message.string("role", null);
        if (role == null) {
            throw ApiError.invalid(at + ".role", "missing_required_parameter",
                    "Missing required parameter: '" + at + ".role'.");
        }
        return switch (role.toLowerCase(Locale.ROOT)) {
            case "system", "developer" -> Role.SYSTEM;
            case "user" -> Role.USER;
            case "assistant" -> Role.ASSISTANT;
            default -> throw ApiError.invalid(at + ".role", "invalid_value", "Invalid '" + at + ".role': '" + role
                    + "'; this server supports 'system', 'developer', 'user' and 'assistant'.");
        };
    }

    /** A string, or an array of text parts joined by newlines; an assistant's may be null. */
    private static String content(JsonFields message, String at, Role role) throws ApiError {
        String name = at + ".content";
        JsonElement value = message.get("content");
        if (value == null) {
            if (role == Role.ASSISTANT) {
                return "";
            }
            throw ApiError.invalid(name, "missing_required_parameter", "Missing required parameter: '" + name + "'.");
        }
        if (value instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        if (!(value instanceof JsonArray parts)) {
            throw JsonFields.wrongType(name, "a string or an array of text parts", value);
        }
        List<String> texts = new ArrayList<>();
        for (int j = 0; j < parts.size(); j++) {
            String partName = name + "[" + j + "]";
            if (!(parts.get(j) instanceof JsonObject part)) {
                throw JsonFields.wrongType(partName, "an object", parts.get(j));
            }
            JsonFields fields = new JsonFields(part);
            String type = fields.string("type", null);
            if (!"text".equals(type)) {
                throw ApiError.invalid(partName + ".type", "unsupported_value", "Invalid '" + partName
                        + ".type': only 'text' parts are supported, got " + (type == null ? "none" : "'" + type + "'") + ".");
            }
            String text = fields.string("text", null);
            if (text == null) {
                throw ApiError.invalid(partName + ".text", "missing_required_parameter",
                        "Missing required parameter: '" + partName + ".text'.");
            }
            texts.add(text);
        }
        return String.join("\n", texts);
    }

    /** A string, or an array holding one string. */
    private static String prompt(JsonFields fields) throws ApiError {
        JsonElement value = fields.get("prompt");
        if (value == null) {
            throw ApiError.invalid("prompt", "missing_required_parameter", "Missing required parameter: 'prompt'.");
        }
        if (value instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        if (value instanceof JsonArray array && array.size() == 1 && array.get(0) instanceof JsonPrimitive p
                && p.isString()) {
            return p.getAsString();
        }
        if (value instanceof JsonArray array && array.size() > 1) {
            throw ApiError.invalid("prompt", "unsupported_value",
                    "Invalid 'prompt': one prompt per request is supported, got " + array.size() + ".");
        }
        throw JsonFields.wrongType("prompt", "a string", value);
    }
}
