package dev.parlance.cli;

import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.service.RemoteInferenceService;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RemoteServers;
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
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
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
        description = {"Chat with a model folder in its own chat template, or with a model of an OpenAI-compatible "
                + "server (--server); answers stream as they are written.",
            "Commands: /reset, /system TEXT, /regenerate, /inspect, /help, /exit. "
                    + "Ctrl+C stops an answer; at the prompt it quits."})
public final class ChatCommand implements Callable<Integer> {
    /** The exit code of a shell whose program was ended by SIGINT. */
    private static final int EXIT_INTERRUPTED = 130;
    /** How often the end of a chat tries again to save when the disk is full, as the app's writer does. */
    private static final long SAVE_RETRY_MILLIS = 2000;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "A GGUF file or a Hugging Face model folder; with --server, the name of one of the server's models.")
    String model;

    @Option(names = "--server", paramLabel = "URL",
            description = "Chat with a model of this OpenAI-compatible server (http://host:port/v1), or of a server "
                    + "added in the app, by its name. Nothing is sent anywhere without this option.")
    String server;

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "With --server: the environment variable that holds the server's API key "
                    + "(default: the key saved with an added server, else none).")
    String apiKeyEnv;

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
        if (server != null) {
            return chatRemotely(err);
        }
        if (apiKeyEnv != null) {
            return CliSupport.fail(spec, "--api-key-env is for a server's key; it goes with --server");
        }
        Path model = Path.of(this.model);
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
                chat(new ChatRepl(session, config, store, modelName(model), settings(config),
                        spec.commandLine().getOut(), err, System.console() != null), store, err);
            }
            return close(store, err) ? 0 : 1;
        }
    }

    /** Runs the REPL over the store, saying any problem of the store as it happens. */
    private static void chat(ChatRepl repl, ConversationStore store, PrintWriter err) throws IOException {
        if (store instanceof SqliteConversationStore sqlite) {
            sqlite.addErrorListener(repl::storeProblem);
        }
        runWithCtrlC(repl, store, err);
    }

    /**
     * {@code --server}: the same conversation and REPL, with answers from a remote server. The
     * server decides the context; sampling flags not given are left to the server.
     */
    private int chatRemotely(PrintWriter err) throws IOException {
        if (context != null) {
            return CliSupport.fail(spec, "--context is the server's to decide; leave it out with --server");
        }
        RemoteServer remote;
        try {
            remote = remoteServer();
        } catch (IllegalArgumentException e) {
            return CliSupport.fail(spec, e.getMessage());
        }
        SamplingConfig config;
        try {
            config = sampling.apply(RemoteInferenceService.SERVER_DEFAULTS);
        } catch (IllegalArgumentException e) {
            return CliSupport.fail(spec, e.getMessage());
        }
        try (RemoteInferenceService service = new RemoteInferenceService(remote)) {
            try {
                service.load(model).join();
            } catch (CompletionException e) {
                err.println("parlance: " + e.getCause().getMessage());
                err.flush();
                return CliSupport.EXIT_MODEL;
            }
            ConversationStore store;
            try {
                store = save ? data.open(err) : new InMemoryConversationStore();
            } catch (StoreException e) {
                return CliSupport.fail(spec, e.getMessage());
            }
            ChatOptions options = new ChatOptions(config, 0, null, thinking);
            chat(new ChatRepl(new RemoteChat(service, options), config, store, model, settings(config),
                    spec.commandLine().getOut(), err, System.console() != null), store, err);
            return close(store, err) ? 0 : 1;
        }
    }

    /**
     * The --server: a URL, or the name of a server added in the app; its key from --api-key-env,
     * else the one saved with it.
     *
     * @throws IllegalArgumentException with a message fit to show a person
     */
    private RemoteServer remoteServer() {
        RemoteServer saved = null;
        if (!server.contains("://")) {
            try {
                saved = RemoteServers.in(data.folder()).find(server).orElseThrow(() -> new IllegalArgumentException(
                        "no server named '" + server + "' was added; give its address (http://host:port/v1)"));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the added servers: " + e.getMessage());
            }
        }
        String key = saved != null ? saved.apiKey() : null;
        if (apiKeyEnv != null) {
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("the environment variable " + apiKeyEnv
                        + " (--api-key-env) is not set; it should hold the server's API key");
            }
        }
        if (saved != null) {
            return new RemoteServer(saved.name(), saved.baseUrl(), key);
        }
        URI url = RemoteServer.parseUrl(server);
        return new RemoteServer(url.getAuthority(), url, key);
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
    private static String modelName(Path model) {
        Path name = model.toAbsolutePath().normalize().getFileName();
        return name != null ? name.toString() : model.toString();
    }

    private ConversationSettings settings(SamplingConfig config) {
        String prompt = system == null || system.isBlank() ? null : system;
        return new ConversationSettings(prompt, config.temperature(), config.topP(), config.topK(), config.minP(),
                config.repeatPenalty(), config.maxNewTokens(), contextLimit(), config.seed(), thinking);
    }
}
