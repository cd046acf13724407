package dev.parlance.models;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.parlance.models.DownloadException.Reason;
import dev.parlance.models.HubClient.Announcement;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * Downloads models into the models directory: files go to {@code .downloads/NAME/} as
 * {@code FILE.part}, resume with HTTP Range after a broken connection or a restart, are checked
 * against the size and SHA-256 the server announces, and move into the models directory only when
 * every file is complete and verified, so a half-downloaded model is never listed. FX-free: a
 * download runs on its own thread and tells a {@link DownloadListener}.
 */
public final class ModelDownloader {
    /** The folder in the models directory that holds partial downloads. */
    public static final String DOWNLOADS_FOLDER = ".downloads";
    private static final String PART = ".part";
    private static final String STATE_FILE = "download.json";
    private static final int BUFFER_BYTES = 1 << 16;
    private static final long PROGRESS_INTERVAL_NANOS = 100_000_000L;

    /**
     * How downloads behave; the defaults suit the application, tests change them.
     *
     * @param maxAttempts how often a file is requested before the download fails (a broken
     *     connection resumes from the bytes on disk)
     * @param retryDelay the wait before the second retry, doubled for each further one (the first retry is at once)
     * @param usableSpace usable bytes of the file system holding a path
     * @param partWriter opens a partial file for appending
     */
    public record Options(int maxAttempts, Duration retryDelay, ToLongFunction<Path> usableSpace, PartWriter partWriter) {
        public Options {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("at least one attempt, not " + maxAttempts);
            }
        }

        public static Options defaults() {
            return new Options(5, Duration.ofSeconds(2), ModelDownloader::fileStoreSpace,
                    part -> Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        }
    }

    /** Opens a partial file for appending. */
    @FunctionalInterface
    public interface PartWriter {
        OutputStream openForAppend(Path part) throws IOException;
    }

    /**
     * A download that stopped before it was installed.
     *
     * @param name the model's name in the models directory once installed
     * @param folder where its files are
     * @param bytes the bytes downloaded so far
     * @param totalBytes the size of all its files as the server announced them, or -1 if not known yet
     */
    public record Partial(String name, Path folder, long bytes, long totalBytes) {}

    private final HubClient hub;
    private final Path modelsDirectory;
    private final Options options;

    public ModelDownloader(HubClient hub, Path modelsDirectory) {
        this(hub, modelsDirectory, Options.defaults());
    }

    public ModelDownloader(HubClient hub, Path modelsDirectory, Options options) {
        this.hub = hub;
        this.modelsDirectory = modelsDirectory;
        this.options = options;
    }

    public Path modelsDirectory() {
        return modelsDirectory;
    }

    /**
     * The plan for any repository, from its file list: a GGUF repository's one quantization
     * ({@code variant}, else Q4_K_M, else Q8_0, else its only file), or a safetensors folder's
     * config, tokenizer and weights.
     *
     * @param repository {@code owner/name} or {@code owner/name@revision}
     * @param variant a quantization such as {@code Q8_0}, or null for the default
     */
    public DownloadPlan plan(String repository, String variant) throws DownloadException {
        int at = repository.indexOf('@');
        String repo = at < 0 ? repository : repository.substring(0, at);
        String revision = at < 0 ? "main" : repository.substring(at + 1);
        if (!repo.matches("[\\w.\\-]+/[\\w.\\-]+") || revision.isBlank()) {
            throw new DownloadException(Reason.NOT_FOUND, "\"" + repository
                    + "\" is not a repository id: write owner/name or owner/name@revision");
        }
        return RepositoryFiles.plan(repo, revision, hub.files(repo, revision), variant);
    }

    /** The folder a plan's partial download lives in. */
    public Path partialFolder(DownloadPlan plan) {
        return modelsDirectory.resolve(DOWNLOADS_FOLDER).resolve(plan.name());
    }

    /** The downloads in a models directory that stopped before they were installed, by name. */
    public static List<Partial> partials(Path modelsDirectory) {
        Path downloads = modelsDirectory.resolve(DOWNLOADS_FOLDER);
        if (!Files.isDirectory(downloads)) {
            return List.of();
        }
        try (Stream<Path> folders = Files.list(downloads)) {
            return folders.filter(Files::isDirectory).sorted()
                    .map(f -> new Partial(f.getFileName().toString(), f, bytesIn(f), announcedTotal(f))).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Removes a partial download from a models directory; returns whether there was one. */
    public static boolean discardPartial(Path modelsDirectory, String name) throws IOException {
        Path folder = modelsDirectory.resolve(DOWNLOADS_FOLDER).resolve(name);
        if (!folder.normalize().startsWith(modelsDirectory.resolve(DOWNLOADS_FOLDER).normalize())
                || !Files.isDirectory(folder)) {
            return false;
        }
        deleteTree(folder);
        Files.deleteIfExists(lockFile(folder));
        return true;
    }

    /** Starts downloading on a thread of its own; the listener is called on that thread. */
    public Download start(DownloadPlan plan, DownloadListener listener) {
        Download download = new Download(plan);
        Thread thread = Thread.ofPlatform().daemon().name("download " + plan.name()).unstarted(() -> run(download, listener));
        download.runOn(thread);
        thread.start();
        return download;
    }

    private void run(Download download, DownloadListener listener) {
        DownloadPlan plan = download.plan();
        Path folder = partialFolder(plan);
        Path target = modelsDirectory.resolve(plan.name());
        try {
            if (Files.exists(target)) {
                throw new DownloadException(Reason.ALREADY_INSTALLED, plan.name() + " is already in " + modelsDirectory
                        + "; remove it first (parlance models rm " + plan.name() + ") to download it again");
            }
            Files.createDirectories(folder);
            try (FileChannel lockChannel = FileChannel.open(lockFile(folder), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = tryLock(lockChannel, plan)) {
                download(download, listener, folder);
                install(plan, folder, target);
            }
            Files.deleteIfExists(lockFile(folder));
            download.result().complete(new Download.Result(Download.Outcome.INSTALLED, target));
        } catch (Exception | OutOfMemoryError e) {
            Download.Outcome stop = download.stopRequest();
            if (stop == null) {
                boolean busy = e instanceof DownloadException d && d.reason() == Reason.BUSY;   // the other one's folder
                if (!busy && bytesIn(folder) == 0) {   // nothing worth resuming: leave no trace
                    try {
                        discardPartial(modelsDirectory, plan.name());
                    } catch (IOException ignored) {
                        // an empty folder left over is harmless
                    }
                }
                download.result().completeExceptionally(asDownloadException(e, folder));
                return;
            }
            Thread.interrupted();   // the stop's interrupt has done its work
            if (stop == Download.Outcome.CANCELLED) {
                try {
                    discardPartial(modelsDirectory, plan.name());
                } catch (IOException ignored) {
                    // a later cancel or `models rm` removes what is left
                }
            }
            download.result().complete(new Download.Result(stop, folder));
        }
    }

    private void download(Download download, DownloadListener listener, Path folder) throws IOException {
        DownloadPlan plan = download.plan();
        List<Announcement> announced = new ArrayList<>();
        for (DownloadPlan.RemoteFile file : plan.files()) {
            announced.add(hub.announce(file));
        }
        forgetStalePartials(plan, announced, folder);
        long total = 0;
        long have = 0;
        for (int i = 0; i < plan.files().size(); i++) {
            total += announced.get(i).size();
            have += Math.min(announced.get(i).size(), bytesOf(folder, plan.files().get(i).path()));
        }
        long usable = options.usableSpace().applyAsLong(folder);
        if (total - have > usable) {
            throw new DownloadException(Reason.DISK_FULL, "Not enough disk space for " + plan.name() + ": it needs "
                    + FitAssessment.humanBytes(total - have) + " more, and " + modelsDirectory + " has "
                    + FitAssessment.humanBytes(usable) + " free; free some space (or choose a smaller variant) and try again");
        }
        listener.onStarted(plan, total);
        var meter = new Meter(listener, plan.files().size(), total);
        for (int i = 0; i < plan.files().size(); i++) {
            meter.set(i, Math.min(announced.get(i).size(), bytesOf(folder, plan.files().get(i).path())));
        }
        for (int i = 0; i < plan.files().size(); i++) {
            fetch(download, plan.files().get(i), announced.get(i), folder, meter.forFile(i, plan.files().get(i).path(),
                    announced.get(i).size()), listener);
        }
    }

    /** Fetches one file into {@code folder}, resuming its partial, then verifies it and drops the {@code .part}. */
    private void fetch(Download download, DownloadPlan.RemoteFile file, Announcement announced, Path folder,
            Meter.FileMeter meter, DownloadListener listener) throws IOException {
        Path done = folder.resolve(file.path());
        Path part = folder.resolve(file.path() + PART);
        if (Files.isRegularFile(done)) {   // verified in an earlier run, and the server still announces the same
            meter.update(announced.size(), true);
            listener.onFileVerified(file.path());
            return;
        }
        Files.createDirectories(part.getParent());
        Hasher hasher = new Hasher();
        IOException lastFailure = null;
        for (int attempt = 1; attempt <= options.maxAttempts(); attempt++) {
            stopIfRequested(download);
            if (attempt > 1) {
                listener.onRetry(file.path(), attempt, lastFailure);
                waitBeforeRetry(attempt);
            }
            long offset = Files.exists(part) ? Files.size(part) : 0;
            if (offset > announced.size()) {
                Files.delete(part);
                offset = 0;
            }
            hasher.catchUp(part, offset);
            meter.update(offset, true);
            try {
                if (offset < announced.size() || announced.size() == 0) {
                    offset = receive(download, file, announced, part, offset, hasher, meter);
                }
                if (offset < announced.size()) {
                    throw new IOException("the connection closed after " + offset + " of " + announced.size() + " bytes");
                }
                verify(file, announced, part, hasher);
                Files.move(part, done, StandardCopyOption.ATOMIC_MOVE);
                meter.update(announced.size(), true);
                listener.onFileVerified(file.path());
                return;
            } catch (DownloadException e) {
                throw e;
            } catch (IOException e) {
                stopIfRequested(download);
                lastFailure = e;
            }
        }
        throw lastFailure instanceof ConnectException || lastFailure instanceof UnknownHostException
                ? hub.unreachable(hub.hub().resolveUri(file.repo(), file.revision(), file.path()), lastFailure)
                : new DownloadException(Reason.SERVER, "The download of " + file.path() + " broke off, "
                        + options.maxAttempts() + (options.maxAttempts() == 1 ? " attempt" : " attempts") + " (last: "
                        + lastFailure.getMessage() + "); what arrived is kept and the next attempt resumes it", lastFailure);
    }

    /** Appends the server's bytes from {@code offset} to the partial file; returns the new length. */
    private long receive(Download download, DownloadPlan.RemoteFile file, Announcement announced, Path part, long offset,
            Hasher hasher, Meter.FileMeter meter) throws IOException {
        HttpResponse<InputStream> response = hub.open(file, offset);
        try (InputStream body = response.body()) {
            download.reading(body);
            if (response.statusCode() == 416) {
                if (offset != announced.size()) {
                    Files.delete(part);
                    hasher.reset();
                    throw new IOException("the server refused the range from " + offset + "; starting the file again");
                }
                return offset;
            }
            if (response.statusCode() == 200 && offset > 0) {   // the server ignored the range: start again
                Files.delete(part);
                hasher.reset();
                offset = 0;
                meter.update(0, true);
            }
            try (OutputStream out = openPart(part)) {
                byte[] buffer = new byte[BUFFER_BYTES];
                boolean first = true;
                int n;
                while ((n = body.read(buffer)) > 0) {
                    stopIfRequested(download);
                    if (offset + n > announced.size()) {
                        Files.delete(part);
                        throw new DownloadException(Reason.CHECKSUM, file.path() + " is longer than the "
                                + announced.size() + " bytes the server announced; it was deleted. Try again later, or"
                                + " report it to the repository's owner if it persists");
                    }
                    try {
                        out.write(buffer, 0, n);
                    } catch (IOException e) {
                        throw writeFailure(part, e);
                    }
                    hasher.update(buffer, n);
                    offset += n;
                    meter.update(offset, first);   // the first bytes of a request are always told
                    first = false;
                }
            }
            return offset;
        } finally {
            download.reading(null);
        }
    }

    /** The partial file, open for appending; failing to open it is the disk's failure, not the network's. */
    private OutputStream openPart(Path part) throws DownloadException {
        try {
            return options.partWriter().openForAppend(part);
        } catch (IOException e) {
            throw writeFailure(part, e);
        }
    }

    private void verify(DownloadPlan.RemoteFile file, Announcement announced, Path part, Hasher hasher)
            throws IOException {
        long size = Files.size(part);
        if (size != announced.size()) {
            Files.delete(part);
            throw new DownloadException(Reason.CHECKSUM, file.path() + " has " + size + " bytes, not the "
                    + announced.size() + " announced; it was deleted and nothing was installed. Try again");
        }
        if (announced.sha256().isPresent() && !announced.sha256().get().equals(hasher.hex())) {
            Files.delete(part);
            throw new DownloadException(Reason.CHECKSUM, file.path() + " arrived damaged: its SHA-256 is " + hasher.hex()
                    + " but the server announced " + announced.sha256().get() + ". It was deleted and nothing was"
                    + " installed; try again (a proxy or mirror may be altering files)");
        }
    }

    /** Moves the verified files into the models directory in one step. */
    private void install(DownloadPlan plan, Path folder, Path target) throws IOException {
        Files.deleteIfExists(folder.resolve(STATE_FILE));
        if (plan.format() == ModelFormat.GGUF) {
            Files.move(folder.resolve(plan.files().getFirst().path()), target, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(folder);
        } else {
            Files.move(folder, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Deletes partial and finished files whose announcement changed since they were started (a new upload). */
    private static void forgetStalePartials(DownloadPlan plan, List<Announcement> announced, Path folder)
            throws IOException {
        Path stateFile = folder.resolve(STATE_FILE);
        JsonObject previous = new JsonObject();
        if (Files.isRegularFile(stateFile)) {
            try {
                previous = JsonParser.parseString(Files.readString(stateFile)).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                previous = new JsonObject();
            }
        }
        JsonObject state = new JsonObject();
        for (int i = 0; i < plan.files().size(); i++) {
            String path = plan.files().get(i).path();
            JsonObject now = new JsonObject();
            now.addProperty("size", announced.get(i).size());
            announced.get(i).sha256().ifPresent(sha -> now.addProperty("sha256", sha));
            if (!now.equals(previous.get(path))) {
                Files.deleteIfExists(folder.resolve(path));
                Files.deleteIfExists(folder.resolve(path + PART));
            }
            state.add(path, now);
        }
        Files.writeString(stateFile, new Gson().toJson(state));
    }

    private static long bytesOf(Path folder, String path) {
        try {
            Path done = folder.resolve(path);
            Path part = folder.resolve(path + PART);
            return Files.isRegularFile(done) ? Files.size(done) : Files.isRegularFile(part) ? Files.size(part) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static long bytesIn(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(STATE_FILE))
                    .mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long announcedTotal(Path folder) {
        try {
            long total = 0;
            JsonObject state = JsonParser.parseString(Files.readString(folder.resolve(STATE_FILE))).getAsJsonObject();
            for (String file : state.keySet()) {
                total += state.getAsJsonObject(file).get("size").getAsLong();
            }
            return total;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private DownloadException writeFailure(Path part, IOException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        boolean full = message.contains("no space") || message.contains("not enough space") || message.contains("disk full")
                || message.contains("quota") || options.usableSpace().applyAsLong(part.getParent()) < BUFFER_BYTES;
        return full
                ? new DownloadException(Reason.DISK_FULL, "The disk is full: " + part.getFileName() + " could not be"
                        + " written in " + modelsDirectory + ". Free some space and pull again; the download resumes", e)
                : new DownloadException(Reason.WRITE_FAILED, "Cannot write " + part + ": " + e.getMessage(), e);
    }

    private DownloadException asDownloadException(Throwable e, Path folder) {
        if (e instanceof DownloadException known) {
            return known;
        }
        return new DownloadException(Reason.WRITE_FAILED, "The download failed in " + folder + ": " + e, e);
    }

    private static void stopIfRequested(Download download) throws IOException {
        if (download.stopRequest() != null) {
            throw new IOException("stopped");
        }
    }

    private void waitBeforeRetry(int attempt) throws IOException {
        long millis = attempt <= 2 ? 0 : options.retryDelay().toMillis() << (attempt - 3);
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static FileLock tryLock(FileChannel channel, DownloadPlan plan) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new DownloadException(Reason.BUSY, plan.name() + " is being downloaded already");
        }
        return lock;
    }

    private static Path lockFile(Path folder) {
        return folder.resolveSibling(folder.getFileName() + ".lock");
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static long fileStoreSpace(Path path) {
        try {
            return Files.getFileStore(path).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** SHA-256 of a partial file as it grows, re-read from disk when the file and the hash disagree. */
    private static final class Hasher {
        private MessageDigest digest = newDigest();
        private long hashed;

        void catchUp(Path part, long length) throws IOException {
            if (hashed == length) {
                return;
            }
            reset();
            if (length == 0) {
                return;
            }
            try (InputStream in = Files.newInputStream(part)) {
                byte[] buffer = new byte[BUFFER_BYTES];
                long left = length;
                int n;
                while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
                    update(buffer, n);
                    left -= n;
                }
            }
        }

        void update(byte[] bytes, int n) {
            digest.update(bytes, 0, n);
            hashed += n;
        }

        void reset() {
            digest = newDigest();
            hashed = 0;
        }

        String hex() {
            return HexFormat.of().formatHex(digest.digest());
        }

        private static MessageDigest newDigest() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
    }

    /** Bytes on disk per file and in all, the speed since the start, and throttled progress calls. */
    private static final class Meter {
        private final DownloadListener listener;
        private final long[] perFile;
        private final long total;
        private final long started = System.nanoTime();
        private long startBytes = -1;
        private long lastReport;

        Meter(DownloadListener listener, int files, long total) {
            this.listener = listener;
            this.perFile = new long[files];
            this.total = total;
        }

        void set(int file, long bytes) {
            perFile[file] = bytes;
        }

        FileMeter forFile(int file, String path, long size) {
            if (startBytes < 0) {
                startBytes = done();
            }
            return new FileMeter(file, path, size);
        }

        private long done() {
            long sum = 0;
            for (long b : perFile) {
                sum += b;
            }
            return sum;
        }

        final class FileMeter {
            private final int file;
            private final String path;
            private final long size;

            FileMeter(int file, String path, long size) {
                this.file = file;
                this.path = path;
                this.size = size;
            }

            void update(long fileBytes, boolean always) {
                perFile[file] = fileBytes;
                long now = System.nanoTime();
                if (!always && fileBytes < size && now - lastReport < PROGRESS_INTERVAL_NANOS) {
                    return;
                }
                lastReport = now;
                long bytes = done();
                double seconds = (now - started) / 1e9;
                double speed = seconds > 0 ? Math.max(0, bytes - startBytes) / seconds : 0;
                Optional<Duration> remaining = speed > 0
                        ? Optional.of(Duration.ofMillis((long) ((total - bytes) / speed * 1000)))
                        : Optional.empty();
                listener.onProgress(new DownloadProgress(path, fileBytes, size, bytes, total, speed, remaining));
            }
        }
    }
}
