package dev.parlance.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.models.DownloadException.Reason;
import dev.parlance.models.FakeHub.Fault;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against {@link FakeHub}, a local server that behaves like the Hub, with faults injected. */
class ModelDownloaderTest {
    private static final String REPO = "parlance-test/tiny-GGUF";
    private static final String TOKEN = "hf_test_token";
    private static final byte[] Q8 = bytes(300_000, 1);
    private static final byte[] Q4 = bytes(200_000, 2);
    private static final byte[] WEIGHTS = bytes(150_000, 3);
    private static final byte[] CONFIG = "{\"architectures\": [\"LlamaForCausalLM\"]}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TOKENIZER = "{\"model\": {}}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path models;
    private FakeHub server;

    @BeforeEach
    void startServer() throws IOException {
        server = new FakeHub()
                .file(REPO, "tiny-Q4_K_M.gguf", Q4)
                .file(REPO, "tiny-Q8_0.gguf", Q8)
                .file(REPO, "README.md", "# tiny".getBytes(StandardCharsets.UTF_8))
                .file("parlance-test/tiny-folder", "config.json", CONFIG)
                .file("parlance-test/tiny-folder", "tokenizer.json", TOKENIZER)
                .file("parlance-test/tiny-folder", "model.safetensors", WEIGHTS)
                .file("parlance-test/tiny-folder", "README.md", "# folder".getBytes(StandardCharsets.UTF_8))
                .file("parlance-test/gated", "tiny-Q8_0.gguf", Q8)
                .gated("parlance-test/gated", TOKEN);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void aGgufQuantizationArrivesThroughTheCdnRedirectVerifiedAndInstalled() throws Exception {
        var events = new Events();
        Download.Result result = run(downloader(Optional.of(TOKEN)), REPO, "Q8_0", events);

        assertThat(result.outcome()).isEqualTo(Download.Outcome.INSTALLED);
        assertThat(result.path()).isEqualTo(models.resolve("tiny-Q8_0.gguf"));
        assertThat(Files.readAllBytes(result.path())).isEqualTo(Q8);
        assertThat(leftovers()).isEmpty();
        assertThat(events.verified).containsExactly("tiny-Q8_0.gguf");
        DownloadProgress last = events.progress.getLast();
        assertThat(last.bytes()).isEqualTo(Q8.length);
        assertThat(last.totalBytes()).isEqualTo(Q8.length);
        assertThat(last.fraction()).isEqualTo(1.0);
    }

    @Test
    void theTokenGoesToTheHubButNeverToTheCdnItRedirectsTo() throws Exception {
        run(downloader(Optional.of(TOKEN)), REPO, "Q8_0", new Events());

        assertThat(server.requests()).filteredOn(r -> r.server().equals("hub"))
                .isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN));
        assertThat(server.requests()).filteredOn(r -> r.server().equals("cdn"))
                .isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
    }

    @Test
    void withoutAQuantizationTheRepositorysQ4KMIsChosen() throws Exception {
        DownloadPlan plan = downloader(Optional.empty()).plan(REPO, null);
        assertThat(plan.files()).extracting(DownloadPlan.RemoteFile::path).containsExactly("tiny-Q4_K_M.gguf");
        assertThat(plan.format()).isEqualTo(ModelFormat.GGUF);
    }

    @Test
    void aSafetensorsFolderArrivesWholeWithOnlyTheFilesTheEngineReads() throws Exception {
        Download.Result result = run(downloader(Optional.empty()), "parlance-test/tiny-folder", null, new Events());

        Path folder = models.resolve("tiny-folder");
        assertThat(result.path()).isEqualTo(folder);
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("config.json", "model.safetensors", "tokenizer.json");
        }
        assertThat(Files.readAllBytes(folder.resolve("model.safetensors"))).isEqualTo(WEIGHTS);
        assertThat(Files.readAllBytes(folder.resolve("config.json"))).isEqualTo(CONFIG);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aDroppedConnectionResumesWithARangeRequestAndVerifies() throws Exception {
        server.fault(Fault.DROP_ONCE, 100_000);
        var events = new Events();
        Download.Result result = run(downloader(Optional.empty()), REPO, "Q8_0", events);

        assertThat(result.outcome()).isEqualTo(Download.Outcome.INSTALLED);
        assertThat(Files.readAllBytes(result.path())).isEqualTo(Q8);
        assertThat(events.retries).hasSize(1);
        List<FakeHub.Request> gets = server.requests().stream()
                .filter(r -> r.server().equals("cdn") && r.method().equals("GET")).toList();
        assertThat(gets).hasSize(2);
        assertThat(gets.getFirst().range()).isNull();
        assertThat(gets.get(1).range()).isEqualTo("bytes=100000-");
    }

    @Test
    void aServerThatIgnoresTheRangeIsReadFromTheStart() throws Exception {
        server.fault(Fault.DROP_ONCE, 100_000);
        var first = new Events();
        ModelDownloader downloader = downloader(Optional.empty(), 1);
        var failed = runFailing(downloader, REPO, "Q8_0", first);
        assertThat(failed.reason()).isEqualTo(Reason.SERVER);
        assertThat(failed.getMessage()).contains("what arrived is kept");
        server.fault(Fault.IGNORE_RANGE, 0);

        Download.Result result = run(downloader(Optional.empty()), REPO, "Q8_0", new Events());
        assertThat(Files.readAllBytes(result.path())).isEqualTo(Q8);
    }

    @Test
    void pausingOnASlowServerKeepsOnlyTheResumablePartialAndARestartResumesIt() throws Exception {
        server.fault(Fault.STALL, 120_000);
        var events = new Events();
        Download download = downloader(Optional.empty()).start(plan(REPO, "Q8_0"), events);
        assertThat(events.firstBytes.await(30, TimeUnit.SECONDS)).isTrue();

        download.pause();
        Download.Result paused = download.result().get(30, TimeUnit.SECONDS);

        assertThat(paused.outcome()).isEqualTo(Download.Outcome.PAUSED);
        assertThat(installed()).isEmpty();
        Path part = paused.path().resolve("tiny-Q8_0.gguf.part");
        long kept = Files.size(part);
        assertThat(kept).isBetween(1L, 120_000L);
        assertThat(ModelDownloader.partials(models))
                .singleElement().satisfies(p -> assertThat(p.bytes()).isEqualTo(kept));

        server.fault(Fault.NONE, 0);
        Download.Result resumed = run(downloader(Optional.empty()), REPO, "Q8_0", new Events());   // a new process
        assertThat(Files.readAllBytes(resumed.path())).isEqualTo(Q8);
        assertThat(server.requests().getLast().range()).isEqualTo("bytes=" + kept + "-");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void cancellingOnASlowServerLeavesNothing() throws Exception {
        server.fault(Fault.STALL, 50_000);
        var events = new Events();
        Download download = downloader(Optional.empty()).start(plan(REPO, "Q8_0"), events);
        assertThat(events.firstBytes.await(30, TimeUnit.SECONDS)).isTrue();

        download.cancel();

        assertThat(download.result().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(Download.Outcome.CANCELLED);
        assertThat(installed()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aSecondDownloadOfTheSameModelIsRefusedAndLeavesTheFirstsFolderAlone() throws Exception {
        DownloadPlan plan = plan(REPO, "Q8_0");
        Path folder = Files.createDirectories(models.resolve(".downloads/tiny-Q8_0.gguf"));   // the first, just started
        try (FileChannel channel = FileChannel.open(models.resolve(".downloads/tiny-Q8_0.gguf.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = channel.lock()) {
            DownloadException busy = failureOf(downloader(Optional.empty()).start(plan, new Events()));

            assertThat(busy.reason()).isEqualTo(Reason.BUSY);
            assertThat(busy.getMessage()).isEqualTo("tiny-Q8_0.gguf is being downloaded already");
            assertThat(folder).isDirectory();
        }
    }

    @Test
    void wrongBytesFailTheChecksumAndInstallNothing() throws Exception {
        server.fault(Fault.WRONG_BYTES, 0);
        DownloadException failure = runFailing(downloader(Optional.empty()), REPO, "Q8_0", new Events());

        assertThat(failure.reason()).isEqualTo(Reason.CHECKSUM);
        assertThat(failure.getMessage()).contains("SHA-256").contains(FakeHub.sha256(Q8)).contains("nothing was installed");
        assertThat(installed()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aGatedRepositoryWithoutATokenSaysWhereToAcceptTheLicenceAndWhereToMakeAToken() {
        DownloadException failure = planFailing(downloader(Optional.empty()), "parlance-test/gated");
        assertThat(failure.reason()).isEqualTo(Reason.GATED);
        assertThat(failure.getMessage()).contains(server.endpoint() + "/parlance-test/gated")
                .contains(server.endpoint() + "/settings/tokens").contains("HF_TOKEN");
    }

    @Test
    void aGatedRepositoryWithAnotherTokenIsRefusedSayingSo() {
        DownloadException failure = planFailing(downloader(Optional.of("hf_other")), "parlance-test/gated");
        assertThat(failure.reason()).isEqualTo(Reason.GATED);
        assertThat(failure.getMessage()).contains("The token given was refused");
    }

    @Test
    void aGatedRepositoryDownloadsWithItsToken() throws Exception {
        Download.Result result = run(downloader(Optional.of(TOKEN)), "parlance-test/gated", null, new Events());
        assertThat(Files.readAllBytes(result.path())).isEqualTo(Q8);
    }

    @Test
    void anUnknownRepositoryIsNamedAsMissing() {
        DownloadException failure = planFailing(downloader(Optional.empty()), "parlance-test/nothing-here");
        assertThat(failure.reason()).isEqualTo(Reason.NOT_FOUND);
        assertThat(failure.getMessage()).contains("parlance-test/nothing-here");
    }

    @Test
    void aMissingFileIs404AndInstallsNothing() throws Exception {
        var plan = new DownloadPlan("gone.gguf", ModelFormat.GGUF, REPO,
                List.of(new DownloadPlan.RemoteFile(REPO, "main", "gone.gguf", 10)));
        var download = downloader(Optional.empty()).start(plan, new Events());
        DownloadException failure = failureOf(download);

        assertThat(failure.reason()).isEqualTo(Reason.NOT_FOUND);
        assertThat(failure.getMessage()).contains("has no file gone.gguf");
        assertThat(installed()).isEmpty();
        assertThat(ModelDownloader.partials(models)).isEmpty();
    }

    @Test
    void notEnoughDiskSpaceIsSaidBeforeAnyByteIsFetched() throws Exception {
        var options = new ModelDownloader.Options(3, Duration.ZERO, path -> 1000, ModelDownloader.Options.defaults().partWriter());
        DownloadException failure = runFailing(downloaderWith(Optional.empty(), options), REPO, "Q8_0", new Events());

        assertThat(failure.reason()).isEqualTo(Reason.DISK_FULL);
        assertThat(failure.getMessage()).contains("it needs 300 kB more").contains("1 kB free").contains("free some space");
        assertThat(server.requests()).noneMatch(r -> r.method().equals("GET") && r.server().equals("cdn"));
    }

    @Test
    void aDiskThatFillsUpStopsTheDownloadKeepingWhatWasWritten() throws Exception {
        var quota = new long[] {250_000};
        ModelDownloader.PartWriter writer = part -> new FilterOutputStream(
                Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > quota[0]) {
                    throw new IOException("No space left on device");
                }
                quota[0] -= len;
                out.write(b, off, len);
            }
        };
        var options = new ModelDownloader.Options(3, Duration.ZERO, path -> Long.MAX_VALUE, writer);
        DownloadException failure = runFailing(downloaderWith(Optional.empty(), options), REPO, "Q8_0", new Events());

        assertThat(failure.reason()).isEqualTo(Reason.DISK_FULL);
        assertThat(failure.getMessage()).contains("The disk is full").contains("resumes");
        assertThat(installed()).isEmpty();
        assertThat(ModelDownloader.partials(models)).singleElement()
                .satisfies(p -> assertThat(p.bytes()).isPositive().isLessThanOrEqualTo(250_000));
    }

    @Test
    void anUnreachableServerSaysOfflineAndWhatToDo() throws Exception {
        int closedPort;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        var hub = new HubClient(new HubAccess(URI.create("http://127.0.0.1:" + closedPort), Optional.empty()));
        DownloadException failure = planFailing(new ModelDownloader(hub, models), REPO);

        assertThat(failure.reason()).isEqualTo(Reason.OFFLINE);
        assertThat(failure.getMessage()).contains("Cannot reach 127.0.0.1:" + closedPort).contains("HF_ENDPOINT");
    }

    @Test
    void aModelAlreadyInstalledIsNotDownloadedAgain() throws Exception {
        Files.write(models.resolve("tiny-Q8_0.gguf"), new byte[] {1});
        DownloadException failure = runFailing(downloader(Optional.empty()), REPO, "Q8_0", new Events());
        assertThat(failure.reason()).isEqualTo(Reason.ALREADY_INSTALLED);
        assertThat(failure.getMessage()).contains("parlance models rm tiny-Q8_0.gguf");
    }

    private DownloadPlan plan(String repo, String variant) throws DownloadException {
        return downloader(Optional.empty()).plan(repo, variant);
    }

    private ModelDownloader downloader(Optional<String> token) {
        return downloader(token, 3);
    }

    private ModelDownloader downloader(Optional<String> token, int attempts) {
        return downloaderWith(token, new ModelDownloader.Options(attempts, Duration.ZERO,
                path -> Long.MAX_VALUE, ModelDownloader.Options.defaults().partWriter()));
    }

    private ModelDownloader downloaderWith(Optional<String> token, ModelDownloader.Options options) {
        return new ModelDownloader(new HubClient(new HubAccess(server.endpoint(), token)), models, options);
    }

    private Download.Result run(ModelDownloader downloader, String repo, String variant, Events events)
            throws Exception {
        return downloader.start(downloader.plan(repo, variant), events).result().get(60, TimeUnit.SECONDS);
    }

    private DownloadException runFailing(ModelDownloader downloader, String repo, String variant, Events events)
            throws Exception {
        return failureOf(downloader.start(downloader.plan(repo, variant), events));
    }

    private static DownloadException planFailing(ModelDownloader downloader, String repo) {
        try {
            downloader.plan(repo, null);
        } catch (DownloadException e) {
            return e;
        }
        throw new AssertionError("planning " + repo + " succeeded");
    }

    private static DownloadException failureOf(Download download) throws Exception {
        try {
            download.result().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(DownloadException.class);
            return (DownloadException) e.getCause();
        }
        throw new AssertionError("the download succeeded");
    }

    /** What the models directory lists as models: .gguf files and folders, hidden ones aside. */
    private List<Path> installed() throws IOException {
        try (Stream<Path> children = Files.list(models)) {
            return children.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    /** Every file under the partial downloads folder. */
    private List<Path> leftovers() throws IOException {
        Path downloads = models.resolve(ModelDownloader.DOWNLOADS_FOLDER);
        if (!Files.exists(downloads)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(downloads)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private static byte[] bytes(int n, long seed) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Records what the download tells its listener. */
    private static final class Events implements DownloadListener {
        final List<DownloadProgress> progress = new CopyOnWriteArrayList<>();
        final List<String> verified = new CopyOnWriteArrayList<>();
        final List<String> retries = new CopyOnWriteArrayList<>();
        final CountDownLatch firstBytes = new CountDownLatch(1);

        @Override
        public void onProgress(DownloadProgress p) {
            progress.add(p);
            if (p.fileBytes() > 0) {
                firstBytes.countDown();
            }
        }

        @Override
        public void onFileVerified(String file) {
            verified.add(file);
        }

        @Override
        public void onRetry(String file, int attempt, Exception cause) {
            retries.add(file + " " + attempt);
        }
    }
}
