package dev.parlance.ui.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.service.remote.RemoteException;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RemoteServers;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServersViewModelTest {
    @TempDir
    Path dir;
    private final List<RemoteServer> checked = new ArrayList<>();
    private int changes;

    private ServersViewModel viewModel(CompletableFuture<List<String>> answer) {
        return new ServersViewModel(RemoteServers.in(dir), server -> {
            checked.add(server);
            return answer;
        }, Runnable::run, Runnable::run, () -> changes++);
    }

    private static void fill(ServersViewModel vm, String name, String url, String key) {
        vm.nameProperty().set(name);
        vm.urlProperty().set(url);
        vm.keyProperty().set(key);
    }

    @Test
    void aServerThatListsItsModelsIsSavedAndTheFormCleared() throws IOException {
        ServersViewModel vm = viewModel(CompletableFuture.completedFuture(List.of("a", "b")));
        fill(vm, "Box", "http://10.0.0.2:8000", "sk-1");

        vm.add();

        assertThat(checked).containsExactly(new RemoteServer("Box", URI.create("http://10.0.0.2:8000/v1"), "sk-1"));
        assertThat(vm.stateProperty().get()).isEqualTo(ServersViewModel.State.ADDED);
        assertThat(vm.modelsFoundProperty().get()).isEqualTo(2);
        assertThat(vm.keyProperty().get()).isEmpty();
        assertThat(vm.getServers()).extracting(RemoteServer::name).containsExactly("Box");
        assertThat(RemoteServers.in(dir).list()).hasSize(1);
        assertThat(changes).isEqualTo(1);
    }

    @Test
    void aServerThatFailsIsNotSavedAndTheReasonIsKept() throws IOException {
        ServersViewModel vm = viewModel(CompletableFuture.failedFuture(new RemoteException("The server 'Box' refused the API key.")));
        fill(vm, "Box", "http://10.0.0.2:8000", "sk-1");

        vm.add();

        assertThat(vm.stateProperty().get()).isEqualTo(ServersViewModel.State.FAILED);
        assertThat(vm.problemProperty().get()).isEqualTo("The server 'Box' refused the API key.");
        assertThat(vm.keyProperty().get()).isEqualTo("sk-1");
        assertThat(RemoteServers.in(dir).list()).isEmpty();
        assertThat(changes).isZero();
    }

    @Test
    void anAddressThatIsNotAUrlIsSaidWithoutAsking() {
        ServersViewModel vm = viewModel(CompletableFuture.completedFuture(List.of()));
        fill(vm, "Box", "10.0.0.2:8000", "");

        vm.add();

        assertThat(checked).isEmpty();
        assertThat(vm.problemProperty().get()).contains("is not a server address");
    }

    @Test
    void addingNeedsANameAndAUrlAndWaitsForTheCheck() {
        ServersViewModel vm = viewModel(new CompletableFuture<>());
        assertThat(vm.canAddProperty().get()).isFalse();
        fill(vm, "Box", "http://h", "");
        assertThat(vm.canAddProperty().get()).isTrue();
        vm.add();
        assertThat(vm.stateProperty().get()).isEqualTo(ServersViewModel.State.CHECKING);
        assertThat(vm.canAddProperty().get()).isFalse();
    }

    @Test
    void aRemovedServerIsForgotten() throws IOException {
        RemoteServers.in(dir).add(new RemoteServer("Box", URI.create("http://h"), "sk"));
        ServersViewModel vm = viewModel(CompletableFuture.completedFuture(List.of()));
        vm.refresh();
        assertThat(vm.getServers()).hasSize(1);

        vm.remove(vm.getServers().get(0));

        assertThat(vm.getServers()).isEmpty();
        assertThat(RemoteServers.in(dir).list()).isEmpty();
    }
}
