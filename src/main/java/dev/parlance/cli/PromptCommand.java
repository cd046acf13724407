package dev.parlance.cli;

import ai.djl.huggingface.tokenizers.Encoding;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.TemplateValues;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code parlance prompt}: the exact prompt a model receives for a Chat Completion
 * {@code messages} array, or its tokens. Only the template and the tokenizer are read, never the
 * weights, so it is instant even for large models; {@code --template} checks a template file on
 * its own.
 */
@Command(name = "prompt", mixinStandardHelpOptions = true,
        description = {"Print exactly the prompt a model receives for a Chat Completion messages array.",
            "Give a model folder, or a template file with --template (then --bos-token and --eos-token set "
                    + "the tokens it refers to)."})
public final class PromptCommand implements Callable<Integer> {
    private static final Gson QUOTE = new GsonBuilder().disableHtmlEscaping().create();
    /** A folder holding none of these has no prompt format to show. */
    private static final List<String> MODEL_FILES =
            List.of("tokenizer_config.json", "chat_template.jinja", "config.json");

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", description = "A GGUF file or a Hugging Face model folder.")
    Path model;

    @Option(names = "--template", paramLabel = "FILE",
            description = "A Jinja chat template file, used instead of the model's.")
    Path templateFile;

    @Option(names = "--bos-token", paramLabel = "S", description = "The bos_token the template sees.")
    String bosToken;

    @Option(names = "--eos-token", paramLabel = "S", description = "The eos_token the template sees.")
    String eosToken;

    @Option(names = "--messages", required = true, paramLabel = "FILE",
            description = "JSON: {\"messages\": [...]} or a bare array of {\"role\", \"content\"} objects.")
    Path messagesFile;

    @Option(names = "--no-generation-prompt", description = "Leave out the opening of the assistant's turn.")
    boolean noGenerationPrompt;

    @Option(names = "--thinking", negatable = true,
            description = "Render with enable_thinking true (--thinking) or false (--no-thinking), for chat "
                    + "templates with that switch (Qwen3, SmolLM3); default: unset, the template's own.")
    Boolean thinking;

    @Option(names = "--ids", description = "Print the token ids and pieces, one per line, instead of the text "
            + "(needs --model for its tokenizer).")
    boolean ids;

    @Override
    public Integer call() {
        if (model == null && templateFile == null) {
            return CliSupport.fail(spec, "give a model folder (--model) or a template file (--template)");
        }
        if (ids && model == null) {
            return CliSupport.fail(spec, "--ids needs --model, whose tokenizer makes the tokens");
        }
        if (model != null && !Files.exists(model)) {
            CliSupport.fail(spec, "cannot read the model: " + model + ": no such file or folder");
            return CliSupport.EXIT_MODEL;
        }
        if (model != null && Files.isDirectory(model)
                && MODEL_FILES.stream().noneMatch(file -> Files.exists(model.resolve(file)))) {
            CliSupport.fail(spec, "cannot read the model: " + model + " is not a model folder (it has no "
                    + String.join(", ", MODEL_FILES) + ")");
            return CliSupport.EXIT_MODEL;
        }
        List<Map<String, Object>> messages;
        try {
            messages = readMessages(messagesFile);
        } catch (IOException e) {
            return CliSupport.fail(spec, "cannot read " + messagesFile + ": " + CliSupport.describe(e, false));
        }
        ChatTemplate template;
        try {
            template = ChatCommand.withThinking(template(), thinking, spec.commandLine().getErr());
        } catch (IOException e) {
            return CliSupport.fail(spec, "cannot read the template: " + CliSupport.describe(e, true));
        } catch (TemplateException e) {
            return CliSupport.fail(spec, "the template does not parse: " + e.getMessage());
        }
        String prompt;
        try {
            prompt = template.render(messages, !noGenerationPrompt, Map.of());
        } catch (TemplateException e) {
            // the template's own words (raise_exception's message), as the model's authors wrote them
            return CliSupport.fail(spec, e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (ids) {
            try (TextTokenizer tokenizer = TextTokenizer.load(model)) {
                printTokens(tokenizer, prompt, out);
            } catch (ModelLoadException e) {
                spec.commandLine().getErr().println("parlance: cannot load the tokenizer: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return CliSupport.EXIT_MODEL;
            }
        } else {
            out.print(prompt);
        }
        out.flush();
        return 0;
    }

    /** The model's template (or the file's), with any token the options name replacing the model's. */
    private ChatTemplate template() throws IOException {
        ChatTemplate fromModel = model != null ? ChatTemplate.fromModel(model) : null;
        Map<String, String> tokens = new LinkedHashMap<>(fromModel != null ? fromModel.specialTokens() : Map.of());
        if (bosToken != null) {
            tokens.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            tokens.put("eos_token", eosToken);
        }
        if (templateFile != null) {
            return ChatTemplate.fromSource(Files.readString(templateFile, StandardCharsets.UTF_8), tokens);
        }
        boolean overridden = bosToken != null || eosToken != null;
        return overridden ? ChatTemplate.fromSource(fromModel.source(), tokens) : fromModel;
    }

    /** Lines of id, quoted piece and, for control tokens, the word {@code special}. */
    private static void printTokens(TextTokenizer tokenizer, String prompt, PrintWriter out) {
        int[] tokenIds = tokenizer.encode(prompt);
        Encoding encoding = tokenizer.encoding(prompt);
        String[] pieces = encoding.getTokens();
        int skip = pieces.length - tokenIds.length; // encode() drops a BOS the template already wrote
        for (int i = 0; i < tokenIds.length; i++) {
            String piece = i + skip >= 0 && i + skip < pieces.length ? pieces[i + skip] : "";
            out.printf(Locale.ROOT, "%d\t%s%s%n", tokenIds[i], QUOTE.toJson(new JsonPrimitive(piece)),
                    tokenizer.isSpecial(tokenIds[i]) ? "\tspecial" : "");
        }
    }

    /** A Chat Completion messages list, as the plain Java values templates take. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> readMessages(Path file) throws IOException {
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonParseException e) {
            throw new IOException(ModelLoadException.jsonProblem(e), e);
        }
        if (root.isJsonObject() && root.getAsJsonObject().has("messages")) {
            root = root.getAsJsonObject().get("messages");
        }
        if (!root.isJsonArray()) {
            throw new IOException("expected {\"messages\": [...]} or an array of messages");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (JsonElement element : (JsonArray) root) {
            if (!element.isJsonObject() || !element.getAsJsonObject().has("role")) {
                throw new IOException("message " + (messages.size() + 1) + " is not an object with a \"role\"");
            }
            messages.add((Map<String, Object>) TemplateValues.fromJson(element));
        }
        return messages;
    }
}
