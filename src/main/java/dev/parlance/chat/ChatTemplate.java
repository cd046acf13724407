package dev.parlance.chat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.chat.template.BudgetExceededException;
import dev.parlance.chat.template.Callable;
import dev.parlance.chat.template.RenderCancelledException;
import dev.parlance.chat.template.RenderLimits;
import dev.parlance.chat.template.Strftime;
import dev.parlance.chat.template.Template;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.gguf.GgufFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A model's prompt format: its compiled Jinja {@code chat_template} plus the special tokens the
 * template may refer to, rendered exactly as transformers' {@code apply_chat_template} does.
 *
 * <p>Rendering binds {@code messages}, {@code add_generation_prompt}, {@code tools = None},
 * {@code documents = None}, the special tokens the tokenizer defines (a token it does not define
 * stays undefined, it is not bound to an empty string), {@code raise_exception(msg)} and
 * {@code strftime_now(format)} on an injectable clock, and {@code enable_thinking} when
 * {@link #withThinking} set it. Instances are immutable and thread-safe.
 *
 * <p>A template is code from the internet, so every render runs within {@link RenderLimits}
 * (steps, characters, time, macro nesting) and can be cancelled; going past a limit fails with a
 * {@link BudgetExceededException} that names the model.
 */
public final class ChatTemplate {
    /** End-of-turn strings that templates write after each message, in the order checked. */
    private static final List<String> KNOWN_END_OF_TURN = List.of(
            "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<end_of_turn>", "<|end|>", "<|END_OF_TURN_TOKEN|>",
            "<｜end▁of▁sentence｜>", "<|end_of_turn|>", "[|endofturn|]", "<|endoftext|>", "<|end_of_text|>",
            "</s>");

    /**
     * Headers that open the user's (or the tool's) next turn, keyed by how the template source
     * shows them: a model that starts writing one has finished its own turn. This covers formats
     * without an end-of-turn token (Falcon's "User:", SOLAR's "### User:", CodeLlama-70b's
     * {@code <step>}, GLM-4's {@code <|user|>}).
     */
    private static final Map<String, String> NEXT_TURN_HEADERS = orderedMap(
            "<|user|>", "<|user|>",
            "<|observation|>", "<|observation|>",
            "<step>", "<step>",
            "### User:", "### User:",
            "User:", "\nUser:");

    /** The variable of a template's thinking switch (Qwen3, SmolLM3). */
    private static final String THINKING_VARIABLE = "enable_thinking";

    private static final List<String> TOKEN_KEYS = List.of(
            "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");
    /** Template variable, then the GGUF key of its token id ("seperator" is llama.cpp's spelling). */
    private static final List<String> GGUF_TOKEN_IDS = List.of(
            "bos_token", "tokenizer.ggml.bos_token_id",
            "eos_token", "tokenizer.ggml.eos_token_id",
            "unk_token", "tokenizer.ggml.unknown_token_id",
            "sep_token", "tokenizer.ggml.seperator_token_id",
            "pad_token", "tokenizer.ggml.padding_token_id");
    /** GGUF token types of control and user-defined tokens. */
    private static final long GGUF_CONTROL = 3;
    private static final long GGUF_USER_DEFINED = 4;

    private final String source;
    private final Template template;
    private final Map<String, String> specialTokens;
    private final ChatFormat format;
    private final Clock clock;
    private final String modelName;
    private final RenderLimits limits;
    private final Boolean thinking;

    private ChatTemplate(String source, Template template, Map<String, String> specialTokens, ChatFormat format,
            Clock clock, String modelName, RenderLimits limits, Boolean thinking) {
        this.source = source;
        this.template = template;
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.format = format;
        this.clock = clock;
        this.modelName = modelName;
        this.limits = limits;
        this.thinking = thinking;
    }

    /**
     * Compiles a template from its Jinja source.
     *
     * @param jinja the template text, byte-exact as published
     * @param specialTokens variable name to token text ({@code "bos_token" -> "<s>"}); tokens the
     *     model does not define must be absent, not empty
     * @throws TemplateException if the source does not parse
     */
    public static ChatTemplate fromSource(String jinja, Map<String, String> specialTokens) {
        return new ChatTemplate(jinja, Template.compile(jinja), specialTokens, null, Clock.systemDefaultZone(), null,
                RenderLimits.DEFAULT, null);
    }

    /**
     * A hand-written format for a model without a template of its own.
     *
     * @param specialTokens the model's tokens; the family's defaults fill any it does not name
     */
    public static ChatTemplate forFormat(ChatFormat format, Map<String, String> specialTokens) {
        Map<String, String> tokens = new LinkedHashMap<>(format.defaultTokens());
        tokens.putAll(specialTokens);
        return new ChatTemplate(format.source(), Template.compile(format.source()), tokens, format,
                Clock.systemDefaultZone(), null, RenderLimits.DEFAULT, null);
    }

    /**
     * Loads the prompt format of a Hugging Face model folder: {@code chat_template.jinja} if
     * present (newer models), else {@code chat_template} of {@code tokenizer_config.json} (a string,
     * or a list of named templates of which {@code default} is taken), else a family default chosen
     * by {@link ChatFormat#detect} from the tokenizer's special tokens. Errors of the template name
     * the model by its folder's name.
     *
     * @throws IOException if a file exists but cannot be read or is not valid JSON
     * @throws TemplateException if the model's template does not parse
     */
    public static ChatTemplate fromModelFolder(Path folder) throws IOException {
        JsonObject config = readJson(folder.resolve("tokenizer_config.json"));
        JsonObject specialMap = readJson(folder.resolve("special_tokens_map.json"));
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String key : TOKEN_KEYS) {
            String value = tokenText(config.get(key));
            if (value == null && !config.has(key)) {
                value = tokenText(specialMap.get(key));
            }
            if (value != null) {
                tokens.put(key, value);
            }
        }
        String source = null;
        Path jinjaFile = folder.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinjaFile)) {
            source = Files.readString(jinjaFile, StandardCharsets.UTF_8);
        } else if (config.has("chat_template")) {
            source = templateSource(config.get("chat_template"));
        }
        ChatTemplate template = source != null ? fromSource(source, tokens)
                : forFormat(ChatFormat.detect(knownTokens(config, tokens)), tokens);
        Path name = folder.toAbsolutePath().normalize().getFileName();
        return template.named(name != null ? name.toString() : folder.toString());
    }

    /**
     * The prompt format of a model: a Hugging Face folder's ({@link #fromModelFolder}) or a GGUF
     * file's ({@link #fromGgufMetadata}, its errors naming the model by the file's name).
     *
     * @throws IOException if the model's files cannot be read
     * @throws TemplateException if the model's template does not parse
     */
    public static ChatTemplate fromModel(Path model) throws IOException {
        if (!Files.isRegularFile(model)) {
            return fromModelFolder(model);
        }
        try (GgufFile file = GgufFile.open(model)) {
            return fromGgufMetadata(file.metadata()).named(model.getFileName().toString());
        } catch (ModelLoadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * The prompt format a GGUF file's metadata holds: {@code tokenizer.chat_template} with the
     * special tokens its {@code tokenizer.ggml.*_token_id} keys name, else a family default chosen
     * from its control tokens.
     */
    public static ChatTemplate fromGgufMetadata(Map<String, Object> metadata) {
        List<?> vocabulary = metadata.get("tokenizer.ggml.tokens") instanceof List<?> list ? list : List.of();
        Map<String, String> tokens = new LinkedHashMap<>();
        for (int i = 0; i < GGUF_TOKEN_IDS.size(); i += 2) {
            if (metadata.get(GGUF_TOKEN_IDS.get(i + 1)) instanceof Long id && id >= 0 && id < vocabulary.size()
                    && vocabulary.get((int) (long) id) instanceof String text) {
                tokens.put(GGUF_TOKEN_IDS.get(i), text);
            }
        }
        if (metadata.get("tokenizer.chat_template") instanceof String source) {
            return fromSource(source, tokens);
        }
        Set<String> known = new LinkedHashSet<>(tokens.values());
        List<?> types = metadata.get("tokenizer.ggml.token_type") instanceof List<?> list ? list : List.of();
        for (int id = 0; id < Math.min(types.size(), vocabulary.size()); id++) {
            boolean special = types.get(id) instanceof Long type && (type == GGUF_CONTROL || type == GGUF_USER_DEFINED);
            if (special && vocabulary.get(id) instanceof String text) {
                known.add(text);
            }
        }
        return forFormat(ChatFormat.detect(known), tokens);
    }

    private static JsonObject readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return new JsonObject();
        }
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("not a JSON object: " + file, e);
        }
    }

    /** A token is written either as a string or as an AddedToken object with a "content" field. */
    private static String tokenText(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return e.getAsJsonObject().get("content").getAsString();
        }
        return null;
    }

    private static String templateSource(JsonElement e) throws IOException {
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        if (e.isJsonArray()) {
            for (JsonElement entry : (JsonArray) e) {
                JsonObject named = entry.getAsJsonObject();
                if (named.has("name") && named.get("name").getAsString().equals("default")) {
                    return named.get("template").getAsString();
                }
            }
            throw new IOException("chat_template lists no 'default' template");
        }
        return null;
    }

    private static Set<String> knownTokens(JsonObject config, Map<String, String> tokens) {
        Set<String> known = new LinkedHashSet<>(tokens.values());
        if (config.has("added_tokens_decoder") && config.get("added_tokens_decoder").isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : config.getAsJsonObject("added_tokens_decoder").entrySet()) {
                String text = tokenText(e.getValue());
                if (text != null) {
                    known.add(text);
                }
            }
        }
        if (config.has("additional_special_tokens") && config.get("additional_special_tokens").isJsonArray()) {
            for (JsonElement e : config.getAsJsonArray("additional_special_tokens")) {
                String text = tokenText(e);
                if (text != null) {
                    known.add(text);
                }
            }
        }
        return known;
    }

    /**
     * The same model with another template, for a user's per-model override; the special tokens
     * and the clock are kept.
     *
     * @throws TemplateException if the source does not parse
     */
    public ChatTemplate withSource(String jinja) {
        return new ChatTemplate(jinja, Template.compile(jinja), specialTokens, null, clock, modelName, limits,
                thinking);
    }

    /**
     * A copy whose {@code strftime_now} reads this clock (the app uses the system clock; tests
     * freeze it).
     */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, template, specialTokens, format, Objects.requireNonNull(clock, "clock"),
                modelName, limits, thinking);
    }

    /** A copy that renders within these limits instead of {@link RenderLimits#DEFAULT}. */
    public ChatTemplate withLimits(RenderLimits limits) {
        return new ChatTemplate(source, template, specialTokens, format, clock, modelName,
                Objects.requireNonNull(limits, "limits"), thinking);
    }

    /**
     * Whether the template has a thinking switch: its code reads {@code enable_thinking}, as the
     * templates of Qwen3 and SmolLM3 do (both let the model think unless it is false).
     */
    public boolean supportsThinking() {
        return template.mentions(THINKING_VARIABLE);
    }

    /**
     * A copy that binds {@code enable_thinking} to this value in every render, or leaves it
     * unbound (the template's own default) when null. A template without the switch ignores it.
     */
    public ChatTemplate withThinking(Boolean enabled) {
        return new ChatTemplate(source, template, specialTokens, format, clock, modelName, limits, enabled);
    }

    /** The bound {@code enable_thinking}, or null when the template's default applies. */
    public Boolean thinking() {
        return thinking;
    }

    private ChatTemplate named(String name) {
        return new ChatTemplate(source, template, specialTokens, format, clock, name, limits, thinking);
    }

    /**
     * Renders a conversation into the prompt text the model expects.
     *
     * @param messages the conversation, oldest first (not mutated)
     * @param addGenerationPrompt whether to open an assistant turn for the model to write
     * @throws TemplateException if the template rejects the conversation (its own message), or
     *     a {@link BudgetExceededException} when it goes past its limits
     */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, () -> false);
    }

    /**
     * Renders a conversation, stopping when {@code cancelled} says so or the thread is interrupted
     * (Ctrl+C in the terminal, Stop in the app).
     *
     * @param messages the conversation, oldest first (not mutated)
     * @param addGenerationPrompt whether to open an assistant turn for the model to write
     * @param cancelled polled at every step of the render
     * @throws RenderCancelledException when cancelled
     * @throws TemplateException if the template rejects the conversation or goes past its limits
     */
    public String render(List<Message> messages, boolean addGenerationPrompt, BooleanSupplier cancelled) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role().wireName());
            map.put("content", m.content());
            maps.add(map);
        }
        return render(maps, addGenerationPrompt, Map.of(), cancelled);
    }

    /**
     * Renders raw Chat Completion messages, for callers and tests that need fields beyond role
     * and content ({@code tool_calls}, {@code reasoning_content}) or extra template variables.
     *
     * @param messages maps with at least "role" and "content" (not mutated)
     * @param addGenerationPrompt whether to open an assistant turn
     * @param variables further variables ({@code enable_thinking}, {@code tools}); they override
     *     the defaults bound here (not mutated)
     * @throws TemplateException if rendering fails
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
            Map<String, Object> variables) {
        return render(messages, addGenerationPrompt, variables, () -> false);
    }

    /**
     * Renders raw Chat Completion messages, cancellable as {@link #render(List, boolean, BooleanSupplier)}.
     *
     * @param messages maps with at least "role" and "content" (not mutated)
     * @param addGenerationPrompt whether to open an assistant turn
     * @param variables further variables, as for {@link #render(List, boolean, Map)} (not mutated)
     * @param cancelled polled at every step of the render
     * @throws RenderCancelledException when cancelled
     * @throws TemplateException if rendering fails
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
            Map<String, Object> variables, BooleanSupplier cancelled) {
        Map<String, Object> vars = new HashMap<>();
        vars.putAll(specialTokens);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("raise_exception", (Callable) (args, kwargs) -> {
            throw new TemplateException(args.isEmpty() ? "raise_exception called" : String.valueOf(args.get(0)));
        });
        vars.put("strftime_now", (Callable) (args, kwargs) ->
                Strftime.format(String.valueOf(args.get(0)), LocalDateTime.now(clock)));
        if (thinking != null) {
            vars.put(THINKING_VARIABLE, thinking);
        }
        vars.putAll(variables);
        return template.render(vars, limits, modelName, cancelled);
    }

    /** True for the {@link ChatFormat#PLAIN} format of base models: the prompt is plain text. */
    public boolean isPlainCompletion() {
        return format == ChatFormat.PLAIN;
    }

    /** The hand-written format in use, or null when the model's own template is. */
    public ChatFormat format() {
        return format;
    }

    /** The Jinja source being rendered. */
    public String source() {
        return source;
    }

    /** The special tokens bound when rendering; undefined tokens are absent. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /**
     * The strings that end an assistant turn in this format, so that generation can stop on them
     * and keep them out of the answer: the known end-of-turn markers the template writes, the EOS
     * token, then headers of a next user turn ({@code "\nUser:"}, {@code <|user|>}). For
     * {@link ChatFormat#PLAIN} these are transcript stops such as {@code "\nUser:"}.
     */
    public List<String> endOfTurnMarkers() {
        Set<String> markers = new LinkedHashSet<>();
        if (format != null) {
            markers.addAll(format.stopStrings());
        }
        if (format != ChatFormat.PLAIN) {
            for (String marker : KNOWN_END_OF_TURN) {
                if (source.contains(marker)) {
                    markers.add(marker);
                }
            }
            String eos = specialTokens.get("eos_token");
            if (eos != null && !eos.isEmpty()) {
                markers.add(eos);
            }
            for (Map.Entry<String, String> header : NEXT_TURN_HEADERS.entrySet()) {
                boolean coveredByLongerHeader = header.getKey().equals("User:") && source.contains("### User:");
                if (source.contains(header.getKey()) && !coveredByLongerHeader) {
                    markers.add(header.getValue());
                }
            }
        }
        return List.copyOf(markers);
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
