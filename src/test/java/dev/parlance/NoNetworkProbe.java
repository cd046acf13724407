package dev.parlance;

import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketPermission;
import java.nio.file.Path;
import java.security.Permission;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a fresh JVM by {@link NoNetworkTest}: counts every attempt to resolve a host or open a
 * connection while the engine starts, loads a model and generates, then makes one connection
 * itself to show the count works. Prints {@code attempts=N control=M}.
 */
public final class NoNetworkProbe {
    private static final AtomicInteger ATTEMPTS = new AtomicInteger();

    private NoNetworkProbe() {}

    @SuppressWarnings({"removal", "deprecation"})
    public static void main(String[] args) throws Exception {
        Launcher.makeDjlOffline();
        System.setSecurityManager(new SecurityManager() {
            @Override
            public void checkPermission(Permission permission) {
                if (permission instanceof SocketPermission) {
                    ATTEMPTS.incrementAndGet();
                    throw new SecurityException("network use: " + permission);
                }
            }
        });
        try (LanguageModel model = LanguageModel.load(Path.of(args[0]), f -> { });
                Generator generator = new Generator(model, 64)) {
            generator.generate(Generator.Request.of(model.tokenizer().encode("Once upon a time"),
                    SamplingConfig.greedy(8)), (id, text, logprob) -> { });
        }
        int engine = ATTEMPTS.get();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", 9), 100);
        } catch (SecurityException | java.io.IOException expected) {
            // the control attempt must be counted, not succeed
        }
        System.out.println("attempts=" + engine + " control=" + (ATTEMPTS.get() - engine));
    }
}
