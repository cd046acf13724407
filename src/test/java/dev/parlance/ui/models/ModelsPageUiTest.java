package dev.parlance.ui.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.models.FakeHub;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.Headless;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.ScriptedDialogs;
import dev.parlance.ui.Theme;
import dev.parlance.ui.models.CatalogRowViewModel.DownloadState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Labeled;
import javafx.scene.control.PasswordField;
import javafx.scene.control.TitledPane;
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

/** The Models page in the window, with a scripted engine and {@link FakeHub} serving the test catalog. */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class ModelsPageUiTest {
    static {
        Headless.configure();
    }

    private static final String TOKEN = "hf_ui_token";

    @TempDir Path dir;
    private FakeHub server;
    private FakeInferenceService inference;
    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private MainWindow window;

    @Start
    void start(Stage stage) throws IOException {
        server = new FakeHub()
                .file("parlance-test/small", "small-Q8_0.gguf", new byte[300_000])
                .file("parlance-test/small", "small-Q4_0.gguf", new byte[200_000])
                .file("parlance-test/gated", "gated-Q8_0.gguf", new byte[50_000])
                .gated("parlance-test/gated", TOKEN);
        Path chatModel = Files.createDirectories(dir.resolve("models/in-use"));
        Files.writeString(chatModel.resolve("config.json"), "{}");
        Files.writeString(chatModel.resolve("tokenizer.json"), "{}");
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir.resolve("models"));
        prefs.setLocale(Locale.ENGLISH);
        inference = new FakeInferenceService();
        window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT, Platform::runLater,
                Runnable::run, w -> dialogs, new ModelSources(ModelsPageViewModelTest.catalog(),
                        Map.of("HF_ENDPOINT", server.endpoint().toString(), "HF_HOME", dir.resolve("hf").toString()),
                        dir.resolve("home"), "Linux"));
        window.show(stage);
        // the stage outlives test classes: another may have left it at 800 x 600, where the
        // installed models' buttons are below the page's fold
        stage.setWidth(1280);
        stage.setHeight(800);
    }

    @AfterEach
    void stop() {
        inference.close();
        server.close();
    }

    private static void waitUntil(Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    /** The page's shown buttons with this text, in the order of the page. */
    private static List<Button> buttons(FxRobot robot, String text) {
        return robot.from(robot.lookup(".models-page").<Node>query())
                .lookup((Node n) -> n instanceof Button b && text.equals(b.getText()) && shown(n))
                .queryAllAs(Button.class).stream().toList();
    }

    /** Whether the node and all its ancestors are visible. */
    private static boolean shown(Node node) {
        for (Node n = node; n != null; n = n.getParent()) {
            if (!n.isVisible()) {
                return false;
            }
        }
        return true;
    }

    private Node row(FxRobot robot, String name) {
        return robot.lookup(".catalog-row").queryAll().stream()
                .filter(r -> robot.from(r).lookup(name).tryQuery().isPresent()).findFirst().orElseThrow();
    }

    private CatalogRowViewModel rowModel(String id) {
        return window.modelsPage().getCatalog().stream().filter(r -> r.model().id().equals(id)).findFirst().orElseThrow();
    }

    private void openPage(FxRobot robot) throws TimeoutException {
        robot.clickOn("#modelsToggle");
        waitUntil(() -> window.modelsPage().machineProperty().get() != null && !buttons(robot, "Download").isEmpty());
    }

    @Test
    void theToolbarToggleAndBackToChatShowAndHideThePage(FxRobot robot) throws TimeoutException {
        assertThat(shown(robot.lookup(".models-page").query())).isFalse();
        openPage(robot);
        assertThat(shown(robot.lookup(".models-page").query())).isTrue();
        assertThat(shown(robot.lookup("#composer").query())).isFalse();
        robot.clickOn("Back to chat");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(shown(robot.lookup(".models-page").query())).isFalse();
        assertThat(shown(robot.lookup("#composer").query())).isTrue();
        waitUntil(() -> robot.lookup("#composer").query().isFocused() || robot.lookup("#composer").query().isDisabled());
    }

    @Test
    void aGatedModelsFailureLeadsToTheTokenFieldAndASavedTokenLetsTheDownloadThrough(FxRobot robot)
            throws TimeoutException, IOException {
        robot.interact(() -> window.viewModel().models().load(dir.resolve("models/in-use")));   // a finished download is not loaded then
        waitUntil(() -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY);
        openPage(robot);
        Node gated = row(robot, "Gated");
        robot.clickOn(robot.from(gated).lookup("Download").queryButton());
        waitUntil(() -> rowModel("gated").getState() == DownloadState.FAILED);
        assertThat(robot.from(gated).lookup(".download-error").queryAs(Labeled.class).getText())
                .contains(rowModel("gated").errorProperty().get());
        assertThat(robot.from(gated).lookup("Open the model page to accept the licence").tryQuery()).isPresent();

        robot.clickOn(robot.from(gated).lookup("Paste an access token").queryLabeled());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup(".models-token").queryAs(TitledPane.class).isExpanded()).isTrue();
        PasswordField field = robot.lookup(".models-token .password-field").queryAs(PasswordField.class);
        waitUntil(field::isFocused);
        robot.write(TOKEN).type(KeyCode.ENTER);
        waitUntil(() -> robot.lookup("A token is saved.").tryQuery().isPresent());
        assertThat(Files.readString(dir.resolve("hf/token"))).isEqualTo(TOKEN);
        assertThat(field.getText()).isEmpty();

        Button tryAgain = robot.from(gated).lookup("Try again").queryButton();
        robot.interact(tryAgain::fire);   // the page has scrolled to the token: the row is above the window
        waitUntil(() -> rowModel("gated").getState() == DownloadState.INSTALLED);
        assertThat(robot.from(gated).lookup("Load").tryQuery()).isPresent();
        assertThat(dir.resolve("models/gated-Q8_0.gguf")).exists();
        assertThat(window.viewModel().models().getLoaded().folder()).isEqualTo(dir.resolve("models/in-use"));
    }

    @Test
    void theSizeFilterNarrowsTheCatalog(FxRobot robot) throws TimeoutException {
        openPage(robot);
        assertThat(robot.lookup(".catalog-row").queryAll()).hasSize(4);
        @SuppressWarnings("unchecked")
        ComboBox<ModelsPageViewModel.SizeFilter> size = robot.lookup("#sizeFilter").queryAs(ComboBox.class);
        robot.clickOn(size).clickOn("Large (9B and more)");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup(".catalog-row").queryAll()).hasSize(1);
        assertThat(robot.lookup("Huge").tryQuery()).isPresent();
        assertThat(robot.from(row(robot, "Huge")).lookup(".fit-label").queryAs(Labeled.class).getText())
                .startsWith("Too big for this computer");
    }

    @Test
    void deleteAsksFirstAndOnlyThenRemovesTheModel(FxRobot robot) throws TimeoutException {
        openPage(robot);
        dialogs.confirmed = false;
        robot.clickOn(buttons(robot, "Delete").getFirst());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(dir.resolve("models/in-use")).exists();
        dialogs.confirmed = true;
        robot.clickOn(buttons(robot, "Delete").getFirst());
        waitUntil(() -> window.modelsPage().getInstalled().isEmpty());
        assertThat(dir.resolve("models/in-use")).doesNotExist();
        assertThat(robot.lookup(".models-hint").queryAllAs(Labeled.class))
                .anyMatch(l -> l.getText().startsWith("No model yet in"));
    }

    @Test
    void loadingAnInstalledModelGoesBackToTheChat(FxRobot robot) throws TimeoutException {
        openPage(robot);
        robot.clickOn(buttons(robot, "Load").getFirst());
        waitUntil(() -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY);
        assertThat(window.modelsPage().shownProperty().get()).isFalse();
        waitUntil(() -> robot.lookup("#composer").query().isFocused());
    }
}
