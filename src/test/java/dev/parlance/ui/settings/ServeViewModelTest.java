package dev.parlance.ui.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.WeightFormat;
import dev.parlance.server.AppServer;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.service.remote.RemoteModel;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RoutedInferenceService;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import javafx.beans.property.SimpleObjectProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The switch "Serve the loaded model" against a real server on a free port: what it shows is what
 * an HTTP client gets at the URL it shows.
 */
class ServeViewModelTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static RoutedInferenceService inference;
    private static ModelInfo tinyLlama;

    private final SimpleObjectProperty<ModelInfo> loaded = new SimpleObjectProperty<>();
    private final SimpleObjectProperty<RemoteModel> remote = new SimpleObjectProperty<>();
    private AppServer server;

    @BeforeAll
    static void load() {
        Path model = SharedData.require("fixtures/tiny-llama");
        inference = new RoutedInferenceService(new DjlInferenceService());
        tinyLlama = inference.load(model, WeightFormat.STORED, f -> { }).join();
    }

    @AfterAll
    static void close() {
        if (inference != null) {
            inference.close();
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Serves the fixture (loaded in the engine; shown as loaded when {@code shown}) on a free port. */
    private ServeViewModel viewModel(boolean shown) {
        server = new AppServer(inference.localOnly());
        loaded.set(shown ? tinyLlama : null);
        var vm = new ServeViewModel(server, loaded, remote, Runnable::run, Runnable::run);
        vm.portProperty().set(0);
        return vm;
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void switchedOnItServesTheLoadedModelAtTheUrlItShows() throws Exception {
        ServeViewModel vm = viewModel(true);

        vm.onProperty().set(true);

        assertThat(vm.stateProperty().get()).isEqualTo(ServeViewModel.State.SERVING);
        assertThat(vm.urlProperty().get()).matches("http://127\\.0\\.0\\.1:\\d+/v1");
        HttpResponse<String> response = get(vm.urlProperty().get() + "/models");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject model = JsonParser.parseString(response.body()).getAsJsonObject()
                .getAsJsonArray("data").get(0).getAsJsonObject();
        assertThat(model.get("id").getAsString()).isEqualTo("tiny-llama");
        assertThat(vm.servedProperty().get()).isEqualTo(ServeViewModel.Served.LOCAL);
        assertThat(vm.exampleProperty().get())
                .startsWith("curl " + vm.urlProperty().get() + "/chat/completions \\\n")
                .contains("\"model\":\"tiny-llama\"");
    }

    @Test
    void switchedOffItRefusesConnections() throws Exception {
        ServeViewModel vm = viewModel(true);
        vm.onProperty().set(true);
        String url = vm.urlProperty().get();

        vm.onProperty().set(false);

        assertThat(vm.stateProperty().get()).isEqualTo(ServeViewModel.State.OFF);
        assertThat(vm.urlProperty().get()).isEmpty();
        assertThat(vm.exampleProperty().get()).isEmpty();
        assertThatThrownBy(() -> get(url + "/models")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aBusyPortIsSaidAndTheSwitchGoesBackOff() throws Exception {
        ServeViewModel vm = viewModel(true);
        try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            vm.portProperty().set(taken.getLocalPort());

            vm.onProperty().set(true);

            assertThat(vm.stateProperty().get()).isEqualTo(ServeViewModel.State.PORT_IN_USE);
            assertThat(vm.problemProperty().get()).isEqualTo(
                    "Port " + taken.getLocalPort() + " is in use by another program.");
            assertThat(vm.onProperty().get()).isFalse();
            assertThat(vm.urlProperty().get()).isEmpty();
        }
    }

    @Test
    void thePortCanBeChangedOnlyWhileTheSwitchIsOff() {
        ServeViewModel vm = viewModel(true);
        assertThat(vm.canChangePortProperty().get()).isTrue();

        vm.onProperty().set(true);

        assertThat(vm.canChangePortProperty().get()).isFalse();
    }

    @Test
    void withNoModelShownItSaysSoAndOffersNoExample() throws Exception {
        ServeViewModel vm = viewModel(false);

        vm.onProperty().set(true);

        assertThat(vm.stateProperty().get()).isEqualTo(ServeViewModel.State.SERVING);
        assertThat(vm.servedProperty().get()).isEqualTo(ServeViewModel.Served.NONE);
        assertThat(vm.exampleProperty().get()).isEmpty();
        loaded.set(tinyLlama);
        assertThat(vm.exampleProperty().get()).contains("\"model\":\"tiny-llama\"");
    }

    @Test
    void whileARemoteModelIsInUseItSaysItServesNone() {
        ServeViewModel vm = viewModel(true);
        vm.onProperty().set(true);

        remote.set(new RemoteModel(new RemoteServer("Box", URI.create("http://10.0.0.2:8000/v1"), null), "big"));

        assertThat(vm.servedProperty().get()).isEqualTo(ServeViewModel.Served.REMOTE_IN_USE);
        assertThat(vm.modelNameProperty().get()).isEmpty();
        assertThat(vm.exampleProperty().get()).isEmpty();
    }

    @Test
    void aStartThatEndsAfterTheSwitchWentOffIsIgnored() {
        server = new AppServer(inference.localOnly());
        loaded.set(tinyLlama);
        var pending = new ArrayDeque<Runnable>();
        var vm = new ServeViewModel(server, loaded, remote, pending::add, Runnable::run);
        vm.portProperty().set(0);

        vm.onProperty().set(true);
        vm.onProperty().set(false);
        pending.forEach(Runnable::run);

        assertThat(vm.stateProperty().get()).isEqualTo(ServeViewModel.State.OFF);
        assertThat(vm.urlProperty().get()).isEmpty();
        assertThat(server.baseUrl()).isNull();
    }
}
