package dev.parlance.ui.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Message;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.service.remote.Answers;
import dev.parlance.service.remote.RemoteModel;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RemoteServers;
import dev.parlance.service.remote.RoutedInferenceService;
import dev.parlance.service.remote.ScriptedServer;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.models.ModelsViewModel.Status;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.util.WaitForAsyncUtils;

/** The picker's remote models over a routed service: a scripted server beside a fake local engine. */
class RemoteModelsTest {
    private final Executor direct = Runnable::run;
    @TempDir Path dir;
    private ScriptedServer scripted;
    private FakeInferenceService local;
    private RoutedInferenceService routed;
    private ModelsViewModel models;

    @BeforeEach
    void setUp() throws Exception {
        scripted = new ScriptedServer(e -> ScriptedServer.events(e,
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"From afar\"},\"finish_reason\":\"stop\"}]}",
                "[DONE]").close());
        local = new FakeInferenceService();
        routed = new RoutedInferenceService(local);
        RemoteServers.in(dir).add(new RemoteServer("Box", scripted.baseUrl(), null));
        models = new ModelsViewModel(routed, RemoteServers.in(dir), direct, direct, dir.resolve("models"));
    }

    @AfterEach
    void tearDown() {
        routed.close();
        scripted.close();
    }

    private static void waitUntil(Callable<Boolean> condition) throws Exception {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, condition);
    }

    private void pickRemote() throws Exception {
        models.refreshRemote();
        waitUntil(() -> !models.getRemoteModels().isEmpty());
        models.loadRemote(models.getRemoteModels().get(0));
        waitUntil(() -> models.getStatus() != Status.LOADING);
    }

    private Path localModel() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("models/tiny"));
        Files.writeString(folder.resolve("config.json"), "{}");
        Files.writeString(folder.resolve("tokenizer.json"), "{}");
        return folder;
    }

    @Test
    void aPickedServerModelAnswersTheChats() throws Exception {
        pickRemote();

        assertThat(models.getStatus()).isEqualTo(Status.READY);
        assertThat(models.getLoaded().name()).isEqualTo("scripted");
        assertThat(models.loadedRemoteProperty().get().server().name()).isEqualTo("Box");
        Answers answers = new Answers();
        routed.chat(List.of(Message.user("Hi")), new ChatOptions(SamplingConfig.greedy(8), 0, null), answers);
        assertThat(answers.awaitEnd()).isTrue();
        assertThat(answers.text()).isEqualTo("From afar");
        assertThat(local.requests()).isEmpty();
    }

    @Test
    void aLocalModelThatFailsToLoadKeepsTheServersModelInUse() throws Exception {
        pickRemote();
        local.failLoads(new ModelLoadException(dir, "not a model"));

        models.load(localModel());
        waitUntil(() -> models.getStatus() != Status.LOADING);

        assertThat(models.getStatus()).isEqualTo(Status.READY);
        assertThat(models.getLoaded().name()).isEqualTo("scripted");
        assertThat(models.errorProperty().get()).contains("not a model");
        assertThat(routed.remoteServer()).isNotNull();
    }

    @Test
    void loadingALocalModelStopsUsingTheServer() throws Exception {
        pickRemote();

        models.load(localModel());
        waitUntil(() -> models.getStatus() != Status.LOADING);

        assertThat(models.getLoaded().folder()).isEqualTo(dir.resolve("models/tiny"));
        assertThat(models.loadedRemoteProperty().get()).isNull();
        assertThat(routed.remoteServer()).isNull();
    }

    @Test
    void aServerThatDoesNotAnswerIsLeftOutOfThePicker() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RemoteServers.in(dir).add(new RemoteServer("Gone", URI.create("http://127.0.0.1:" + port), null));

        models.refreshRemote();
        waitUntil(() -> !models.getRemoteModels().isEmpty());

        assertThat(models.getRemoteModels()).extracting(RemoteModel::id).containsExactly("scripted");
    }
}
