package dev.parlance.cli;

import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.store.StoreException;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code parlance chat}: a conversation in the terminal, in the model's own chat template. Reads one
 * message per line from stdin, so it works typed at a console or fed from a pipe (then without the
 * {@code >} prompt and banner, so scripts and tests see only answers). Ctrl+C stops the answer being
 * written; at the prompt it quits.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model folder in its own chat template; answers stream as they are written.",
            "Commands: /reset, /system TEXT, /regenerate, /inspect, /help, /exit. "
                    + "Ctrl+C stops an answer; at the prompt it quits."})
public final class ChatCommand implements Callable<Integer> {
    /** The exit code of a shell whose program was ended by SIGINT. */
    private static final int EXIT_INTERRUPTED = 130;
    /** How often the end of a chat tries again to save when the disk is full, as the app's writer does. */
    private static final long SAVE_RETRY_MILLIS = 2000;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A GGUF file or a Hugging Face model folder.")
    Path model;

    @Option(names = "--weights", paramLabel = "FORMAT", defaultValue = "stored",
            description = "How a folder's weights are held: stored (as in its files), q8_0, q4_0 or q4_k "
                    + "(quantized at load; GGUF files are used as they are).")
    WeightFormat weights;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt for the conversation.")
    String system;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--context", paramLabel = "N",
            description = "Use at most N tokens of context (default: the model's).")
    Integer context;

    @Option(names = "--thinking", negatable = true,
            description = "Turn the model's thinking on (--thinking) or off (--no-thinking), for chat templates "
                    + "with that switch (Qwen3, SmolLM3); default: the template's own.")
    Boolean thinking;

    @Option(names = "--save", description = "Save the conversation, so that \"parlance history\" lists it.")
    boolean save;

    @Mixin
    DataDirOption data;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (context != null && context < 1) {
            return CliSupport.fail(spec, "--context must be at least 1 token, was " + context
                    + " (leave it out for the model's own context)");
        }
        if (StandardInput.isClosed()) {
            return CliSupport.fail(spec, "standard input is closed, so there are no messages to read; "
                    + "type them at a terminal or pipe them in (echo hello | parlance chat ...)");
        }
        try (LanguageModel lm = CliSupport.loadModel(model, weights, spec)) {
            if (lm == null) {
                return CliSupport.EXIT_MODEL;
            }
            ChatTemplate template;
            try {
                template = withThinking(ChatTemplate.fromModel(model), thinking, err);
            } catch (IOException | TemplateException e) {
                err.println("parlance: cannot read the model's chat template: " + (e instanceof IOException io
                        ? CliSupport.describe(io, true) : e.getMessage()));
                err.flush();
                return CliSupport.EXIT_MODEL;
            }
            SamplingConfig config;
            try {
                config = sampling.apply(lm.defaults().sampling());
            } catch (IllegalArgumentException e) {
                return CliSupport.fail(spec, e.getMessage());
            }
            ConversationStore store;
            try {
                store = save ? data.open(err) : new InMemoryConversationStore();
            } catch (StoreException e) {
                return CliSupport.fail(spec, e.getMessage());
            }
            try (ChatSession session = new ChatSession(lm, template, contextLimit())) {
                ChatRepl repl = new ChatRepl(session, config, store, modelName(), settings(config),
                        spec.commandLine().getOut(), err, System.console() != null);
                if (store instanceof SqliteConversationStore sqlite) {
                    sqlite.addErrorListener(repl::storeProblem);
                }
                runWithCtrlC(repl, store, err);
            }
            return close(store, err) ? 0 : 1;
        }
    }

    /**
     * Writes what is queued before the chat ends. While a problem that may pass (a full disk)
     * holds writes back, says so once and tries again every {@code retryMillis} until they are
     * saved, as the app keeps trying while it is open; Ctrl+C gives up.
     */
    static void saveBeforeExit(ConversationStore store, PrintWriter err, long retryMillis) {
        boolean told = false;
        while (true) {
            try {
                store.flush();
                if (told) {
                    err.println("parlance: saved the conversation.");
                    err.flush();
                }
                return;
            } catch (StoreException e) {
                if (!e.isTemporary()) {
                    return;
                }
                if (!told) {
                    err.println("parlance: waiting to save the end of the conversation: " + e.getMessage()
                            + " Press Ctrl+C to quit without saving it.");
                    err.flush();
                    told = true;
                }
            }
            try {
                Thread.sleep(retryMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Closes the store; false, with the reason said, if some changes could not be saved. */
    private static boolean close(ConversationStore store, PrintWriter err) {
        try {
            store.close();
            return true;
        } catch (StoreException e) {
            err.println("parlance: the last changes to the conversation were not saved. " + e.getMessage());
            err.flush();
            return false;
        }
    }

    /**
     * Runs the REPL with Ctrl+C stopping the current answer, then saves what is queued. The handler
     * runs on the JVM's signal thread; with no answer running it ends the process as Ctrl+C
     * normally does (exit code 130), after the store has written what it can.
     */
    private static void runWithCtrlC(ChatRepl repl, ConversationStore store, PrintWriter err) throws IOException {
        Signal interrupt = new Signal("INT");
        SignalHandler previous = Signal.handle(interrupt, signal -> {
            if (!repl.stopAnswer()) {
                close(store, err);
                System.exit(EXIT_INTERRUPTED);
            }
        });
        try {
            Console console = System.console();
            Charset charset = console != null ? console.charset() : StandardCharsets.UTF_8;
            repl.run(new BufferedReader(new InputStreamReader(System.in, charset)));
            saveBeforeExit(store, err, SAVE_RETRY_MILLIS);
        } finally {
            Signal.handle(interrupt, previous);
        }
    }

    /**
     * The template with the --thinking/--no-thinking choice, or as it is when none was made. A
     * template without the switch renders the same either way, which {@code err} is told.
     */
    static ChatTemplate withThinking(ChatTemplate template, Boolean thinking, PrintWriter err) {
        if (thinking != null && !template.supportsThinking()) {
            err.println("parlance: the chat template has no thinking switch (it does not read enable_thinking), so --"
                    + (thinking ? "" : "no-") + "thinking changes nothing");
            err.flush();
        }
        return template.withThinking(thinking);
    }

    /** The --context limit, or 0 for the model's own. */
    private int contextLimit() {
        return context != null ? context : 0;
    }

    /** The folder's name ({@code --model .} names the current folder). */
    private String modelName() {
        Path name = model.toAbsolutePath().normalize().getFileName();
        return name != null ? name.toString() : model.toString();
    }

    private ConversationSettings settings(SamplingConfig config) {
        String prompt = system == null || system.isBlank() ? null : system;
        return new ConversationSettings(prompt, config.temperature(), config.topP(), config.topK(), config.minP(),
                config.repeatPenalty(), config.maxNewTokens(), contextLimit(), config.seed(), thinking);
    }
}
