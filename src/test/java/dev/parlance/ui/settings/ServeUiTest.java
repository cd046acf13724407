package dev.parlance.ui.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.Headless;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.ScriptedDialogs;
import dev.parlance.ui.SettingsPanel;
import dev.parlance.ui.Theme;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.input.Clipboard;
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

/** Settings → Servers → "Serve the loaded model" in the window: the switch, the URL, Copy, and the memory of it. */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class ServeUiTest {
    static {
        Headless.configure();
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir Path dir;
    private FakeInferenceService inference;
    private AppPreferences prefs;
    private MainWindow window;
    private int port;

    @Start
    void start(Stage stage) throws IOException {
        Path tiny = Files.createDirectories(dir.resolve("models/tiny"));
        Files.writeString(tiny.resolve("config.json"), "{}");
        Files.writeString(tiny.resolve("tokenizer.json"), "{}");
        prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir.resolve("models"));
        prefs.setLocale(Locale.ENGLISH);
        prefs.setTheme(Theme.LIGHT);
        port = freePort();
        prefs.setServingPort(port);
        inference = new FakeInferenceService();
        window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT, Platform::runLater,
                Runnable::run, w -> new ScriptedDialogs());
        window.show(stage);
    }

    @AfterEach
    void stop() throws Exception {
        WaitForAsyncUtils.asyncFx(window::close).get();
        inference.close();
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void waitUntil(Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }


    private static String clipboard() throws Exception {
        return WaitForAsyncUtils.asyncFx(() -> Clipboard.getSystemClipboard().getString()).get();
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSwitchShowsTheUrlAndCopyPutsItOnTheClipboard(FxRobot robot) throws Exception {
        ServeViewModel serve = window.serve();
        robot.interact(() -> window.viewModel().models().load(dir.resolve("models/tiny")));
        waitUntil(() -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY);
        robot.clickOn("#settingsToggle");
        assertThat(robot.lookup("#serveDetails").query().isVisible()).isFalse();

        SettingsPanel.clickOn(robot, "#serveSwitch .thumb-area");
        waitUntil(() -> serve.stateProperty().get() == ServeViewModel.State.SERVING);

        String url = "http://127.0.0.1:" + port + "/v1";
        TextField shown = robot.lookup("#serveUrl").query();
        assertThat(shown.getText()).isEqualTo(url);
        assertThat(shown.isVisible()).isTrue();
        assertThat(robot.lookup("#serveStatus").queryAs(Label.class).getText()).isEqualTo("Serving tiny.");
        SettingsPanel.clickOn(robot, "#copyUrlButton");
        assertThat(clipboard()).isEqualTo(url);
        SettingsPanel.clickOn(robot, "#copyExampleButton");
        assertThat(clipboard()).startsWith("curl " + url + "/chat/completions \\\n").contains("\"model\":\"tiny\"");
        HttpResponse<String> models = get(url + "/models");
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).contains("\"id\":\"tiny\"");
        assertThat(prefs.serving()).isTrue();
    }

    @Test
    void switchedOnFromTheKeyboardWithoutAModelItAsksForOne(FxRobot robot) throws Exception {
        robot.clickOn("#settingsToggle");
        Node toggle = robot.lookup("#serveSwitch").query();
        robot.interact(toggle::requestFocus);

        robot.type(KeyCode.SPACE);
        waitUntil(() -> window.serve().stateProperty().get() == ServeViewModel.State.SERVING);

        assertThat(robot.lookup("#serveStatus").queryAs(Label.class).getText()).isEqualTo("Load a model to serve it.");
        assertThat(robot.lookup("#serveExampleBox").query().isVisible()).isFalse();
        assertThat(get("http://127.0.0.1:" + port + "/v1/models").statusCode()).isEqualTo(503);
    }

    @Test
    void aWindowOpenedWithTheSwitchRememberedServesAndClosingStopsIt(FxRobot robot) throws Exception {
        prefs.setServing(true);
        MainWindow[] restarted = new MainWindow[1];
        robot.interact(() -> restarted[0] = new MainWindow(inference, new InMemoryConversationStore(), prefs,
                Theme.LIGHT, Platform::runLater, Runnable::run, w -> new ScriptedDialogs()));
        waitUntil(() -> restarted[0].serve().stateProperty().get() == ServeViewModel.State.SERVING);
        assertThat(restarted[0].serve().urlProperty().get()).isEqualTo("http://127.0.0.1:" + port + "/v1");
        assertThat(get("http://127.0.0.1:" + port + "/v1/models").statusCode()).isEqualTo(503);

        robot.interact(restarted[0]::close);

        assertThatThrownBy(() -> get("http://127.0.0.1:" + port + "/v1/models")).isInstanceOf(ConnectException.class);
    }
}
