package dev.parlance.cli;

import dev.parlance.inference.WeightFormat;
import dev.parlance.server.OpenAiServer;
import dev.parlance.server.ServerConfig;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code parlance serve}: the model behind OpenAI's API on this machine, for editors, scripts and
 * agents that speak it. Loads the model once and serves until the process is stopped (Ctrl+C).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model through OpenAI's API: GET /v1/models, POST /v1/chat/completions, "
                + "POST /v1/completions.",
            "Listens on 127.0.0.1 unless told otherwise; another address needs an API key. Ctrl+C stops."})
public final class ServeCommand implements Callable<Integer> {
    /** The environment variable that can hold the API key, so that it does not show in the process list. */
    static final String API_KEY_ENV = "PARLANCE_API_KEY";

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A GGUF file or a Hugging Face model folder.")
    Path model;

    @Option(names = "--weights", paramLabel = "FORMAT", defaultValue = "stored",
            description = "How a folder's weights are held: stored (as in its files), q8_0, q4_0 or q4_k.")
    WeightFormat weights;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "The address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + ServerConfig.DEFAULT_PORT,
            description = "The TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Clients must send 'Authorization: Bearer KEY' (default: $" + API_KEY_ENV + ", else none).")
    String apiKey;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN",
            description = "Let web pages from ORIGIN ('*' for any) call the API (default: none).")
    String corsOrigin;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "" + ServerConfig.DEFAULT_QUEUE_LIMIT,
            description = "Requests accepted at once, the one being answered included; more get 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "" + ServerConfig.DEFAULT_MAX_BODY_BYTES,
            description = "The largest request body accepted (default: ${DEFAULT-VALUE}).")
    int maxBody;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        String key = apiKey != null ? apiKey : System.getenv(API_KEY_ENV);
        ServerConfig config;
        try {
            config = new ServerConfig(host, port, key, corsOrigin, queue, maxBody, ServerConfig.DEFAULT_IDLE_TIMEOUT);
        } catch (IllegalArgumentException e) {
            return CliSupport.fail(spec, e.getMessage());
        }
        InferenceService inference = new DjlInferenceService();
        OpenAiServer server;
        try {
            server = new OpenAiServer(inference, config);
        } catch (IllegalArgumentException e) {
            inference.close();
            return CliSupport.fail(spec, e.getMessage());
        }
        ModelInfo loaded;
        try {
            loaded = inference.load(model, weights, fraction -> { }).join();
        } catch (CompletionException e) {
            inference.close();
            CliSupport.fail(spec, "cannot load the model: " + e.getCause().getMessage());
            return CliSupport.EXIT_MODEL;
        }
        try {
            server.start();
        } catch (IOException e) {
            inference.close();
            return CliSupport.fail(spec, "cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            inference.close();
        }, "serve-shutdown"));
        out.println("Serving " + CliSupport.printable(loaded.name()) + " at " + server.baseUrl()
                + (config.apiKey() != null ? " (API key required)" : "") + "; Ctrl+C stops.");
        out.println("Try: curl " + server.baseUrl() + "/chat/completions -H 'Content-Type: application/json' "
                + (config.apiKey() != null ? "-H 'Authorization: Bearer KEY' " : "")
                + "-d '{\"model\": \"" + loaded.name() + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'");
        out.flush();
        server.join();
        return 0;
    }
}
