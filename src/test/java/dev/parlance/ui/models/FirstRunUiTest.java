package dev.parlance.ui.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.FinishReason;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import dev.parlance.models.Catalog;
import dev.parlance.models.CatalogModel;
import dev.parlance.models.FakeHub;
import dev.parlance.models.ModelFile;
import dev.parlance.models.ModelFormat;
import dev.parlance.models.Variant;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.Headless;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.ScriptedDialogs;
import dev.parlance.ui.Theme;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The first run, end to end: an empty models directory opens the Models page with one
 * recommended model, its Download fetches it from {@link FakeHub} on 127.0.0.1, the real engine
 * loads it, the composer has the focus, and the model answers. The served model is a tiny Llama
 * the test writes with {@link SyntheticModel}, so it runs without anything beside the project.
 */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class FirstRunUiTest {
    static {
        Headless.configure();
    }

    private static final String REPO = "parlance-test/tiny-chat";

    @TempDir Path dir;
    private FakeHub server;
    private DjlInferenceService inference;
    private MainWindow window;

    @Start
    void start(Stage stage) throws IOException {
        Path served = SyntheticModel.write(dir.resolve("served"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 7);
        server = new FakeHub();
        List<ModelFile> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(served)) {
            for (Path file : list.sorted().toList()) {
                server.file(REPO, file.getFileName().toString(), Files.readAllBytes(file));
                files.add(new ModelFile(file.getFileName().toString(), Files.size(file)));
            }
        }
        long size = files.stream().mapToLong(ModelFile::size).sum();
        var catalog = new Catalog(4096, List.of(
                new CatalogModel("tiny-chat", "Tiny Chat", REPO, "apache-2.0", false, 100_000_000L, 256,
                        List.of("en"), List.of("chat"), "llama", "LlamaForCausalLM", 2, 2, 8, Optional.empty(),
                        List.of(new Variant("F32", ModelFormat.SAFETENSORS, REPO, "main", files, size + 1_000_000))),
                new CatalogModel("too-big", "Too Big", "parlance-test/too-big", "apache-2.0", false, 900_000_000_000L,
                        4096, List.of("en"), List.of("chat"), "llama", "LlamaForCausalLM", 2, 2, 8, Optional.empty(),
                        List.of(new Variant("Q4_K_M", ModelFormat.GGUF, "parlance-test/too-big", "main",
                                List.of(new ModelFile("too-big-Q4_K_M.gguf", 1000)), 1L << 60)))));
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir.resolve("models"));
        prefs.setLocale(Locale.ENGLISH);
        inference = new DjlInferenceService();
        window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT, Platform::runLater,
                Runnable::run, w -> new ScriptedDialogs(), new ModelSources(catalog,
                        Map.of("HF_ENDPOINT", server.endpoint().toString(), "HF_HOME", dir.resolve("hf").toString()),
                        dir.resolve("home"), "Linux"));
        window.show(stage);
        window.reloadLastModel();
    }

    @AfterEach
    void stop() {
        inference.close();
        server.close();
    }

    private static void waitUntil(long seconds, Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private static List<Button> visibleButtons(FxRobot robot, String text) {
        return robot.lookup((Node n) -> n instanceof Button b && text.equals(b.getText()) && n.isVisible()
                && n.getParent() != null && n.getParent().isVisible()).queryAllAs(Button.class).stream().toList();
    }

    @Test
    void noModelThenTheModelsPageThenDownloadThenLoadThenAFirstAnswer(FxRobot robot) throws TimeoutException {
        waitUntil(10, () -> window.modelsPage().shownProperty().get() && !visibleButtons(robot, "Download").isEmpty());
        assertThat(robot.lookup(".catalog-row").queryAll()).hasSize(1);
        assertThat(robot.lookup("Tiny Chat").tryQuery()).isPresent();
        assertThat(robot.lookup("Recommended").tryQuery()).isPresent();
        assertThat(robot.lookup("Too Big").tryQuery()).isEmpty();

        robot.clickOn(visibleButtons(robot, "Download").getFirst());
        waitUntil(120, () -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY
                || window.viewModel().models().getStatus() == ModelsViewModel.Status.FAILED);
        assertThat(window.viewModel().models().errorProperty().get()).isEmpty();
        assertThat(window.viewModel().models().getLoaded().folder()).isEqualTo(dir.resolve("models/tiny-chat"));
        assertThat(window.modelsPage().shownProperty().get()).isFalse();
        waitUntil(10, () -> robot.lookup("#composer").query().isFocused());

        robot.interact(() -> window.viewModel().settings().maxTokensProperty().set(8));
        robot.write("Hello").type(KeyCode.ENTER);
        ChatViewModel chat = window.viewModel().chat();
        waitUntil(10, () -> chat.getMessages().size() == 2);
        waitUntil(120, () -> chat.getState() != ChatViewModel.State.GENERATING);
        assertThat(chat.errorProperty().get()).isEmpty();
        MessageViewModel answer = chat.getMessages().get(1);
        assertThat(answer.getFinish()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertThat(chat.lastStatsProperty().get().generatedTokens()).isPositive();
    }
}
