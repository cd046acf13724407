package dev.parlance;

import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a fresh JVM by {@link NoNetworkTest}: counts every attempt to resolve a host (through
 * {@link CountingResolverProvider}) or to open a socket (through a socket factory that refuses)
 * while the engine starts, loads a model and generates, then makes one connection itself to show
 * the count works. Prints {@code attempts=N control=M}.
 */
public final class NoNetworkProbe {
    private static final AtomicInteger ATTEMPTS = new AtomicInteger();

    private NoNetworkProbe() {}

    /** Counts one attempt and the refusal to throw for it. */
    static UnknownHostException refused(String what) {
        ATTEMPTS.incrementAndGet();
        return new UnknownHostException("network use: " + what);
    }

    @SuppressWarnings("deprecation") // the only hook left for java.net.Socket since the security manager went
    public static void main(String[] args) throws Exception {
        Launcher.makeDjlOffline();
        System.setProperty(CountingResolverProvider.COUNTING, "true");
        Socket.setSocketImplFactory(RefusingSocket::new);
        try (LanguageModel model = LanguageModel.load(Path.of(args[0]), f -> { });
                Generator generator = new Generator(model, 64)) {
            generator.generate(Generator.Request.of(model.tokenizer().encode("Once upon a time"),
                    SamplingConfig.greedy(8)), (id, text, logprob) -> { });
        }
        int engine = ATTEMPTS.get();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", 9), 100);
        } catch (IOException expected) {
            // the control attempt must be counted, not succeed
        }
        System.out.println("attempts=" + engine + " control=" + (ATTEMPTS.get() - engine));
    }

    /** A socket that counts and refuses every connection, bind and accept. */
    private static final class RefusingSocket extends SocketImpl {
        private static IOException refusedSocket(String what) {
            ATTEMPTS.incrementAndGet();
            return new ConnectException("network use: " + what);
        }

        @Override
        protected void create(boolean stream) {
        }

        @Override
        protected void connect(String host, int port) throws IOException {
            throw refusedSocket("connect " + host + ":" + port);
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            throw refusedSocket("connect " + address + ":" + port);
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            throw refusedSocket("connect " + address);
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw refusedSocket("bind " + host + ":" + port);
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw refusedSocket("listen");
        }

        @Override
        protected void accept(SocketImpl socket) throws IOException {
            throw refusedSocket("accept");
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw refusedSocket("read");
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw refusedSocket("write");
        }

        @Override
        protected int available() {
            return 0;
        }

        @Override
        protected void close() {
        }

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw refusedSocket("urgent data");
        }

        @Override
        public void setOption(int optionId, Object value) {
        }

        @Override
        public Object getOption(int optionId) {
            return null;
        }
    }
}
