package dev.parlance.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.parlance.service.InferenceService;
import java.io.IOException;
import java.net.BindException;
import java.net.URI;

/**
 * The desktop app's "Serve the loaded model" switch, without JavaFX: one {@link OpenAiServer} on
 * loopback at a time, over the model the app has loaded, started and stopped by the settings.
 * Loopback only and therefore without an API key ({@code parlance serve} is the way to serve to
 * the network). Requests queue on the service's one worker with the app's own chats.
 *
 * <p>The service given must be the local engine (for the app, {@code RoutedInferenceService.localOnly()}):
 * the server never forwards to a remote server the app is routed to. Thread-safe.
 */
public final class AppServer implements AutoCloseable {
    /** The port offered until the user picks another: {@code parlance serve}'s. */
    public static final int DEFAULT_PORT = ServerConfig.DEFAULT_PORT;

    private final InferenceService localModel;
    private OpenAiServer running;   // guarded by this; null while stopped
    private boolean closed;         // guarded by this

    /** @param localModel the app's local engine; answers with whatever model it has loaded; not closed here */
    public AppServer(InferenceService localModel) {
        this.localModel = localModel;
    }

    /**
     * Starts serving on {@code 127.0.0.1:port}; stops first if it was serving already.
     *
     * @param port the TCP port; 0 picks a free one
     * @return the API's base URL, with the port bound
     * @throws PortInUseException when another program listens on the port
     * @throws IOException when the address cannot be bound for another reason
     * @throws IllegalStateException once closed
     */
    public synchronized URI start(int port) throws IOException {
        if (closed) {
            throw new IllegalStateException("the app's server is closed");
        }
        stop();
        var server = new OpenAiServer(localModel, ServerConfig.loopback(port));
        try {
            server.start();
        } catch (IOException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof BindException) {
                    throw new PortInUseException(port, e);
                }
            }
            throw e;
        }
        running = server;
        return server.baseUrl();
    }

    /** The API's base URL while serving, else null. */
    public synchronized URI baseUrl() {
        return running == null ? null : running.baseUrl();
    }

    /** Stops serving (the answers being written are cancelled); nothing happens when stopped. */
    public synchronized void stop() {
        if (running != null) {
            running.close();
            running = null;
        }
    }

    /** Stops serving for good (a later {@link #start} fails); the service is left open. */
    @Override
    public synchronized void close() {
        closed = true;
        stop();
    }

    /**
     * A command a person can paste into a shell to ask the server a question: a chat completion
     * with {@code model} and one user message, on three lines joined by backslashes. The JSON is
     * escaped for single quotes (POSIX shells).
     *
     * @param baseUrl the API's base URL, as {@link #start} returns it
     * @param model the model's name, as {@code /v1/models} lists it
     */
    public static String curlExample(URI baseUrl, String model) {
        var message = new JsonObject();
        message.addProperty("role", "user");
        message.addProperty("content", "Hello");
        var messages = new JsonArray();
        messages.add(message);
        var body = new JsonObject();
        body.addProperty("model", model);
        body.add("messages", messages);
        return "curl " + baseUrl + "/chat/completions \\\n  -H 'Content-Type: application/json' \\\n  -d '"
                + body.toString().replace("'", "'\\''") + "'";
    }

    /** Another program listens on the port asked for. */
    public static final class PortInUseException extends IOException {
        private final int port;

        PortInUseException(int port, Throwable cause) {
            super("Port " + port + " is in use by another program.", cause);
            this.port = port;
        }

        /** The port asked for. */
        public int port() {
            return port;
        }
    }
}
