package dev.parlance.ui.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.models.Catalog;
import dev.parlance.models.CatalogModel;
import dev.parlance.models.DownloadException;
import dev.parlance.models.FakeHub;
import dev.parlance.models.Fit;
import dev.parlance.models.InstalledModel;
import dev.parlance.models.ModelDownloader;
import dev.parlance.models.ModelFile;
import dev.parlance.models.ModelFormat;
import dev.parlance.models.Variant;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.models.CatalogRowViewModel.DownloadState;
import dev.parlance.ui.models.ModelsPageViewModel.SizeFilter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Models page's view model against {@link FakeHub}, with a queue standing in for the FX thread. */
class ModelsPageViewModelTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] SMALL_Q8 = bytes(300_000, 1);
    private static final byte[] SMALL_Q4 = bytes(200_000, 2);
    private static final byte[] GATED_Q8 = bytes(50_000, 3);
    private static final String TOKEN = "hf_test_token";

    @TempDir Path home;
    private FakeHub server;
    private final FxQueue fx = new FxQueue();
    private final FakeInferenceService inference = new FakeInferenceService().holdLoads();
    private ModelsViewModel models;
    private ModelsPageViewModel page;

    @BeforeEach
    void start() throws IOException {
        server = new FakeHub()
                .file("parlance-test/small", "small-Q8_0.gguf", SMALL_Q8)
                .file("parlance-test/small", "small-Q4_0.gguf", SMALL_Q4)
                .file("parlance-test/gated", "gated-Q8_0.gguf", GATED_Q8)
                .gated("parlance-test/gated", TOKEN);
        models = new ModelsViewModel(inference, fx, Runnable::run, home.resolve("models"));
        var sources = new ModelSources(catalog(), Map.of("HF_ENDPOINT", server.endpoint().toString(),
                "HF_HOME", home.resolve("hf").toString()), home, "Linux");
        page = new ModelsPageViewModel(models, sources, fx, Runnable::run);
    }

    @AfterEach
    void stop() {
        server.close();
        inference.close();
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Three small models the engine runs (one gated, one Chinese-only code model) and one no machine has memory for. */
    static Catalog catalog() {
        return new Catalog(4096, List.of(
                entry("small", "parlance-test/small", false, 500_000_000L, List.of("en", "zh"), List.of("chat"),
                        gguf("Q4_0", "parlance-test/small", "small-Q4_0.gguf", SMALL_Q4.length),
                        gguf("Q8_0", "parlance-test/small", "small-Q8_0.gguf", SMALL_Q8.length)),
                entry("gated", "parlance-test/gated", true, 1_000_000_000L, List.of("zh"), List.of("code"),
                        gguf("Q8_0", "parlance-test/gated", "gated-Q8_0.gguf", GATED_Q8.length)),
                entry("absent", "parlance-test/absent", false, 3_000_000_000L, List.of("multilingual"), List.of("chat"),
                        gguf("Q8_0", "parlance-test/absent", "absent-Q8_0.gguf", 1000)),
                new CatalogModel("huge", "Huge", "parlance-test/huge", "apache-2.0", false, 400_000_000_000L, 4096,
                        List.of("en"), List.of("chat", "reasoning"), "llama", "LlamaForCausalLM", 2, 2, 16,
                        Optional.empty(), List.of(new Variant("Q4_K_M", ModelFormat.GGUF, "parlance-test/huge", "main",
                                List.of(new ModelFile("huge-Q4_K_M.gguf", 1000)), 1L << 60)))));
    }

    private static CatalogModel entry(String id, String repo, boolean gated, long parameters, List<String> languages,
            List<String> tasks, Variant... variants) {
        return new CatalogModel(id, id.substring(0, 1).toUpperCase() + id.substring(1), repo, "apache-2.0", gated,
                parameters, 4096, languages, tasks, "llama", "LlamaForCausalLM", 2, 2, 16, Optional.empty(),
                List.of(variants));
    }

    private static Variant gguf(String name, String repo, String file, long size) {
        return new Variant(name, ModelFormat.GGUF, repo, "main", List.of(new ModelFile(file, size)), size + 1_000_000);
    }

    private CatalogRowViewModel row(String id) {
        return page.getCatalog().stream().filter(r -> r.model().id().equals(id)).findFirst().orElseThrow();
    }

    private void listed() throws InterruptedException {
        page.refresh();
        fx.runUntil(() -> page.machineProperty().get() != null, WAIT);
    }

    @Test
    void theShownPageListsAModelTheModelMenuFoundSince() throws Exception {
        page.open();
        fx.runUntil(() -> page.machineProperty().get() != null, WAIT);
        assertThat(page.getInstalled()).isEmpty();
        Path folder = Files.createDirectories(home.resolve("models/copied-in"));
        Files.writeString(folder.resolve("config.json"), "{}");
        models.refresh();   // what the folder's watch or the menu's "Look for models again" does
        fx.runUntil(() -> !page.getInstalled().isEmpty(), WAIT);
        assertThat(page.getInstalled()).extracting(InstalledModel::name).containsExactly("copied-in");
    }

    @Test
    void theFirstRunOpensThePageWithTheRecommendedModelAsTheOneChoice() throws InterruptedException {
        page.openIfNoModel();
        fx.runUntil(() -> page.shownProperty().get(), WAIT);

        assertThat(page.recommendedOnlyProperty().get()).isTrue();
        assertThat(page.getCatalog()).extracting(r -> r.model().id()).containsExactly("absent");
        CatalogRowViewModel recommended = page.recommendedProperty().get();
        assertThat(recommended.variantProperty().get().name()).isEqualTo("Q8_0");
        assertThat(recommended.recommendedProperty().get()).isTrue();
        assertThat(recommended.fitProperty().get().fit()).isEqualTo(Fit.FITS);

        page.showAll();
        assertThat(page.getCatalog()).extracting(r -> r.model().id()).containsExactly("small", "gated", "absent", "huge");
        assertThat(row("huge").fitProperty().get().fit()).isEqualTo(Fit.TOO_BIG);
        assertThat(row("small").recommendedProperty().get()).isFalse();
    }

    @Test
    void withAModelInTheModelsDirectoryTheFirstRunLeavesTheChatInFront() throws IOException, InterruptedException {
        Files.createDirectories(home.resolve("models"));
        Files.write(home.resolve("models/mine-Q8_0.gguf"), SMALL_Q8);
        page.openIfNoModel();
        fx.runUntil(() -> page.machineProperty().get() != null, WAIT);

        assertThat(page.shownProperty().get()).isFalse();
        assertThat(page.getInstalled()).extracting(InstalledModel::name).containsExactly("mine-Q8_0.gguf");
    }

    @Test
    void filtersBySizeLanguageAndTaskWithMultilingualModelsInEveryLanguage() throws InterruptedException {
        listed();
        page.sizeProperty().set(SizeFilter.SMALL);
        assertThat(page.getCatalog()).extracting(r -> r.model().id()).containsExactly("small", "gated");
        page.sizeProperty().set(SizeFilter.ANY);
        page.languageProperty().set("zh");
        assertThat(page.getCatalog()).extracting(r -> r.model().id()).containsExactly("small", "gated", "absent");
        page.taskProperty().set("code");
        assertThat(page.getCatalog()).extracting(r -> r.model().id()).containsExactly("gated");
        assertThat(page.languages()).containsExactly("en", "zh");
        assertThat(page.tasks()).containsExactly("chat", "code", "reasoning");
    }

    @Test
    void aFinishedDownloadIsVerifiedInstalledAndLoadedAndThePageMakesWayForTheChat() throws Exception {
        page.open();
        listed();
        CatalogRowViewModel small = row("small");
        small.variantProperty().set(small.variants().get(1));
        small.download();
        assertThat(small.getState()).isEqualTo(DownloadState.RUNNING);
        fx.runUntil(() -> small.getState() != DownloadState.RUNNING, WAIT);

        assertThat(small.getState()).isEqualTo(DownloadState.INSTALLED);
        Path installed = home.resolve("models/small-Q8_0.gguf");
        assertThat(Files.readAllBytes(installed)).isEqualTo(SMALL_Q8);
        assertThat(models.loadingProperty().get()).isEqualTo(installed);
        assertThat(page.shownProperty().get()).isFalse();
        fx.runUntil(() -> page.getInstalled().size() == 1, WAIT);
        assertThat(small.progressProperty().get().bytes()).isEqualTo(SMALL_Q8.length);
    }

    @Test
    void progressReachesTheFxThreadCoalescedIntoOneTaskUntilItRuns() throws Exception {
        listed();
        CatalogRowViewModel small = row("small");
        small.download();
        fx.waitWithoutRunning(() -> Files.exists(home.resolve("models/small-Q8_0.gguf"))
                && Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().equals("download small-Q8_0.gguf")), WAIT);

        assertThat(fx.queued()).isEqualTo(2);
        fx.runUntil(() -> small.getState() == DownloadState.INSTALLED, WAIT);
        assertThat(small.progressProperty().get().bytes()).isEqualTo(SMALL_Q8.length);
    }

    @Test
    void aSecondDownloadWhileAModelIsLoadedIsInstalledButNotLoaded() throws Exception {
        Files.createDirectories(home.resolve("models"));
        models.load(home.resolve("models"));
        inference.completeLoad();
        fx.runUntil(() -> models.getStatus() == ModelsViewModel.Status.READY, WAIT);
        page.open();
        listed();
        CatalogRowViewModel small = row("small");
        small.download();
        fx.runUntil(() -> small.getState() == DownloadState.INSTALLED, WAIT);
        assertThat(models.getLoaded().folder()).isEqualTo(home.resolve("models"));
        assertThat(page.shownProperty().get()).isTrue();
    }

    @Test
    void aGatedModelSaysWhereToAcceptTheLicenceUntilASavedTokenLetsItThrough() throws Exception {
        listed();
        CatalogRowViewModel gated = row("gated");
        gated.download();
        fx.runUntil(() -> gated.getState() == DownloadState.FAILED, WAIT);
        assertThat(gated.errorReasonProperty().get()).isIn(DownloadException.Reason.UNAUTHORIZED,
                DownloadException.Reason.GATED);
        assertThat(gated.errorProperty().get()).contains("token");
        assertThat(gated.modelPage().toString()).isEqualTo(server.endpoint() + "/parlance-test/gated");
        assertThat(page.tokenSavedProperty().get()).isFalse();

        page.tokenProperty().set(TOKEN);
        page.saveToken();
        fx.runUntil(() -> page.tokenSavedProperty().get(), WAIT);
        assertThat(page.tokenProperty().get()).isEmpty();
        assertThat(Files.readString(home.resolve("hf/token"))).isEqualTo(TOKEN);

        gated.download();
        fx.runUntil(() -> gated.getState() != DownloadState.RUNNING, WAIT);
        assertThat(gated.getState()).isEqualTo(DownloadState.INSTALLED);
        assertThat(gated.errorProperty().get()).isEmpty();
    }

    @Test
    void aMissingFileFailsAsNotFoundAndNothingIsInstalled() throws InterruptedException {
        listed();
        CatalogRowViewModel absent = row("absent");
        absent.download();
        fx.runUntil(() -> absent.getState() == DownloadState.FAILED, WAIT);
        assertThat(absent.errorReasonProperty().get()).isIn(DownloadException.Reason.NOT_FOUND,
                DownloadException.Reason.UNAUTHORIZED);
        assertThat(absent.errorProperty().get()).isNotBlank();
        assertThat(InstalledModel.list(home.resolve("models"))).isEmpty();
    }

    @Test
    void wrongBytesFailTheChecksumAndNothingIsInstalled() throws InterruptedException {
        server.fault(FakeHub.Fault.WRONG_BYTES, 0);
        listed();
        CatalogRowViewModel small = row("small");
        small.download();
        fx.runUntil(() -> small.getState() == DownloadState.FAILED, WAIT);
        assertThat(small.errorReasonProperty().get()).isEqualTo(DownloadException.Reason.CHECKSUM);
        assertThat(InstalledModel.list(home.resolve("models"))).isEmpty();
    }

    @Test
    void aPausedDownloadResumesAndACancelledOneLeavesNothing() throws Exception {
        server.fault(FakeHub.Fault.STALL, 100_000);
        listed();
        CatalogRowViewModel small = row("small");
        small.download();
        fx.runUntil(() -> ModelDownloader.partials(home.resolve("models")).stream().anyMatch(p -> p.bytes() > 0), WAIT);
        small.pause();
        fx.runUntil(() -> small.getState() != DownloadState.RUNNING, WAIT);
        assertThat(small.getState()).isEqualTo(DownloadState.PAUSED);
        fx.runUntil(() -> small.partialBytesProperty().get() > 0, WAIT);
        assertThat(small.canDownloadProperty().get()).isTrue();

        small.cancel();
        fx.runUntil(() -> small.getState() == DownloadState.IDLE, WAIT);
        fx.runUntil(() -> ModelDownloader.partials(home.resolve("models")).isEmpty(), WAIT);

        server.fault(FakeHub.Fault.NONE, 0);
        small.download();
        fx.runUntil(() -> small.getState() != DownloadState.RUNNING, WAIT);
        assertThat(small.getState()).isEqualTo(DownloadState.INSTALLED);
    }

    @Test
    void deletingAnInstalledModelRemovesItFromTheList() throws Exception {
        Files.createDirectories(home.resolve("models"));
        Files.write(home.resolve("models/mine-Q8_0.gguf"), SMALL_Q8);
        listed();
        assertThat(page.getInstalled()).hasSize(1);
        page.delete(page.getInstalled().getFirst());
        fx.runUntil(() -> page.getInstalled().isEmpty(), WAIT);
        assertThat(home.resolve("models/mine-Q8_0.gguf")).doesNotExist();
        assertThat(page.errorProperty().get()).isEmpty();
    }

    @Test
    void loadingAFoundModelUsesItWhereItIs() throws Exception {
        Path lmStudio = home.resolve(".lmstudio/models/someone/repo");
        Files.createDirectories(lmStudio);
        Files.write(lmStudio.resolve("other-Q8_0.gguf"), SMALL_Q8);
        page.open();
        listed();
        assertThat(page.getFound()).hasSize(1);
        page.load(page.getFound().getFirst().path());
        assertThat(models.loadingProperty().get()).isEqualTo(lmStudio.resolve("other-Q8_0.gguf"));
        assertThat(page.shownProperty().get()).isFalse();
    }
}
