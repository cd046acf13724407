package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Message;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.WeightFormat;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import dev.parlance.server.OpenAiServer;
import dev.parlance.server.ServerConfig;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.service.remote.Answers;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RemoteServers;
import dev.parlance.service.remote.ScriptedServer;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.models.ServersViewModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.application.Platform;
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
 * The app with a second Parlance server on loopback as a remote server: Settings adds it (after
 * its model list answers), its model shows in the picker marked as remote, and a chat with it gets
 * the answer the server's engine gives, asked directly.
 */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class RemoteServerUiTest {
    static {
        Headless.configure();
    }

    @TempDir Path dir;
    private DjlInferenceService engine;
    private OpenAiServer server;
    private FakeInferenceService local;
    private MainWindow window;

    @Start
    void start(Stage stage) throws IOException {
        Path model = SyntheticModel.write(dir.resolve("far/big-model"), SyntheticModel.Shape.TINY,
                SafeTensors.DType.F32, 1, 11);
        engine = new DjlInferenceService();
        engine.load(model, WeightFormat.STORED, f -> { }).join();
        server = new OpenAiServer(engine, ServerConfig.loopback(0));
        server.start();
        Files.createDirectories(dir.resolve("models"));
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir.resolve("models"));
        prefs.setLocale(Locale.ENGLISH);
        prefs.setTheme(Theme.LIGHT);
        local = new FakeInferenceService();
        window = new MainWindow(local, new InMemoryConversationStore(), prefs, Theme.LIGHT, Platform::runLater,
                Runnable::run, w -> new ScriptedDialogs());
        window.show(stage);
    }

    @AfterEach
    void stop() {
        local.close();
        server.close();
        engine.close();
    }

    private static void waitUntil(Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }


    private ChatViewModel chat() {
        return window.viewModel().chat();
    }

    @Test
    void aServerAddedInSettingsServesItsModelInTheChat(FxRobot robot) throws Exception {
        ServersViewModel servers = window.viewModel().models().servers();
        robot.clickOn("#settingsToggle");
        SettingsPanel.clickOn(robot, "#serverName").write("Workstation");
        SettingsPanel.clickOn(robot, "#serverUrl").write("http://127.0.0.1:" + server.port());
        SettingsPanel.clickOn(robot, "#addServerButton");
        waitUntil(() -> servers.stateProperty().get() == ServersViewModel.State.ADDED);
        assertThat(robot.lookup("Added: one model in the model picker.").tryQuery()).isPresent();
        assertThat(RemoteServers.in(dir).list()).extracting(RemoteServer::name).containsExactly("Workstation");

        robot.clickOn("#modelMenu");
        waitUntil(() -> robot.lookup("big-model — Workstation (remote)").tryQuery().isPresent());
        robot.clickOn("big-model — Workstation (remote)");
        waitUntil(() -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY);
        assertThat(robot.lookup("#modelMenu").queryLabeled().getText()).isEqualTo("big-model");

        Platform.runLater(() -> window.viewModel().settings().temperatureProperty().set(0));
        WaitForAsyncUtils.waitForFxEvents();
        robot.clickOn("#composer").write("Hello there").type(KeyCode.ENTER);
        waitUntil(() -> chat().getMessages().size() == 2 && chat().getState() == ChatViewModel.State.IDLE);
        MessageViewModel answer = chat().getMessages().get(1);

        ChatOptions options = window.viewModel().settings().options();
        Answers expected = new Answers();
        String system = window.viewModel().settings().systemPromptProperty().get();
        List<Message> asked = system == null || system.isBlank() ? List.of(Message.user("Hello there"))
                : List.of(Message.system(system), Message.user("Hello there"));
        engine.chat(asked, options, expected);
        assertThat(expected.awaitEnd()).isTrue();
        assertThat(answer.getText()).isNotEmpty().isEqualTo(expected.text());
        // OpenAI's finish reasons have no "context full": a server says "length" for it
        assertThat(answer.getFinish()).isEqualTo(expected.finish() == FinishReason.STOP
                ? FinishReason.STOP : FinishReason.LENGTH);
    }

    @Test
    void aRemoteAnswerStopsAndIsRegeneratedAsALocalOne(FxRobot robot) throws Exception {
        ScriptedServer[] self = new ScriptedServer[1];
        int[] requests = {0};
        try (ScriptedServer scripted = new ScriptedServer(e -> {
            if (++requests[0] == 1) {
                ScriptedServer.events(e, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once upon\"}}]}");
                self[0].holdOpen();
            } else {
                ScriptedServer.events(e, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A new story\"},"
                        + "\"finish_reason\":\"stop\"}]}", "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
                        + "\"completion_tokens\":3,\"total_tokens\":12}}", "[DONE]").close();
            }
        })) {
            self[0] = scripted;
            RemoteServers.in(dir).add(new RemoteServer("Scripted", scripted.baseUrl(), null));
            ModelsViewModel models = window.viewModel().models();
            robot.interact(models::refreshRemote);
            waitUntil(() -> !models.getRemoteModels().isEmpty());
            robot.interact(() -> models.loadRemote(models.getRemoteModels().getFirst()));
            waitUntil(() -> models.getStatus() == ModelsViewModel.Status.READY);

            robot.clickOn("#composer").write("Tell me a story").type(KeyCode.ENTER);
            waitUntil(() -> chat().getMessages().size() == 2 && chat().getMessages().get(1).getText().equals("Once upon"));
            robot.type(KeyCode.ESCAPE);
            waitUntil(() -> chat().getState() == ChatViewModel.State.IDLE);
            assertThat(chat().getMessages().get(1).getFinish()).isEqualTo(FinishReason.CANCELLED);
            assertThat(chat().getMessages().get(1).getText()).isEqualTo("Once upon");

            robot.interact(() -> chat().regenerate());
            waitUntil(() -> chat().getState() == ChatViewModel.State.IDLE
                    && chat().getMessages().get(1).getText().equals("A new story"));
            MessageViewModel answer = chat().getMessages().get(1);
            assertThat(answer.getFinish()).isEqualTo(FinishReason.STOP);
            assertThat(answer.getVersionCount()).isEqualTo(2);
            assertThat(answer.statsProperty().get().generatedTokens()).isEqualTo(3);
            assertThat(answer.statsProperty().get().promptTokens()).isEqualTo(9);
        }
    }

    @Test
    void aServerThatDoesNotAnswerIsNotSavedAndTheReasonIsShown(FxRobot robot) throws Exception {
        ServersViewModel servers = window.viewModel().models().servers();
        int port = server.port();
        server.close();
        robot.clickOn("#settingsToggle");
        SettingsPanel.clickOn(robot, "#serverName").write("Gone");
        SettingsPanel.clickOn(robot, "#serverUrl").write("http://127.0.0.1:" + port + "/v1");
        SettingsPanel.clickOn(robot, "#addServerButton");
        waitUntil(() -> servers.stateProperty().get() == ServersViewModel.State.FAILED);
        assertThat(servers.problemProperty().get()).contains("refused the connection");
        assertThat(RemoteServers.in(dir).list()).isEmpty();
    }
}
