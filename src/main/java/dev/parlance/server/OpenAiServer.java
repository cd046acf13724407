package dev.parlance.server;

import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code parlance serve}: OpenAI's Chat Completions and Completions API over the model an
 * {@link InferenceService} has loaded, on Jetty. A thin adapter: requests become the service's
 * {@code chat} and {@code complete} calls, which queue on its one worker thread; this class adds
 * the HTTP, the checks and the limits (see {@link ServerConfig}).
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OpenAiServer.class.getName());
    private final Server jetty;
    private final ServerConnector connector;
    private final Set<Generation> running = ConcurrentHashMap.newKeySet();

    /**
     * @param inference a service with the model already loaded; not closed by this server
     * @throws UnsafeBindException when the host is not a loopback address and there is no API key
     */
    public OpenAiServer(InferenceService inference, ServerConfig config) {
        requireSafe(config);
        // a thread per request being read or answered; idle ones end, so the ceiling costs nothing
        QueuedThreadPool threads = new QueuedThreadPool(Math.max(64, 2 * config.queueLimit() + 16));
        threads.setName("server");
        threads.setDaemon(true);
        jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(config.idleTimeout().toMillis());
        jetty.addConnector(connector);
        jetty.setHandler(new ApiHandler(inference, config, running));
        jetty.setErrorHandler(ApiHandler::protocolError);
        jetty.setStopTimeout(2000);
    }

    /** Refuses a non-loopback address without an API key: the model would be open to the network. */
    private static void requireSafe(ServerConfig config) {
        if (config.apiKey() != null) {
            return;
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(config.host()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new UnsafeBindException("unknown host: " + config.host());
        }
        if (!loopback) {
            throw new UnsafeBindException("refusing to serve on " + config.host()
                    + " without an API key: anyone who can reach that address could use the model. "
                    + "Give --api-key KEY (or set PARLANCE_API_KEY), or serve on 127.0.0.1");
        }
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException when the address cannot be bound (the port is taken, the host is not this machine's)
     */
    public void start() throws IOException {
        try {
            jetty.start();
        } catch (IOException e) {
            stopQuietly();
            throw e;
        } catch (Exception e) {
            stopQuietly();
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The port it listens on (the one chosen when the configuration asked for 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The API's base URL, as clients configure it: {@code http://host:port/v1}. */
    public URI baseUrl() {
        String host = connector.getHost().contains(":") ? "[" + connector.getHost() + "]" : connector.getHost();
        return URI.create("http://" + host + ":" + port() + "/v1");
    }

    /** Blocks until the server has stopped. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Cancels the answers being written, then stops listening. */
    @Override
    public void close() {
        running.forEach(Generation::cancel);
        stopQuietly();
    }

    private void stopQuietly() {
        try {
            jetty.stop();
        } catch (Exception e) {
            // best effort: the connector's threads are daemons and end with the process
            LOG.log(Level.FINE, "stopping the server", e);
        }
    }

    /** A configuration that would expose the model to the network without a key. */
    public static final class UnsafeBindException extends IllegalArgumentException {
        UnsafeBindException(String message) {
            super(message);
        }
    }
}
