package dev.parlance.ui.settings;

import dev.parlance.server.AppServer;
import dev.parlance.service.ModelInfo;
import dev.parlance.service.remote.RemoteModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.binding.ObjectBinding;
import javafx.beans.binding.StringBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.value.ObservableValue;

/**
 * Settings → Servers → "Serve the loaded model": a switch (off until the user turns it on) that
 * serves the app's local model through OpenAI's API on loopback, the port, and while it serves the
 * URL and a {@code curl} example to copy. The server answers with whatever local model the app has
 * loaded; with none, or while the app uses a remote server's model, it answers OpenAI's error
 * object (503) and this says why.
 */
public final class ServeViewModel {
    /** Where the server stands. */
    public enum State { OFF, STARTING, SERVING, PORT_IN_USE, FAILED }

    /** What the server answers with. */
    public enum Served { NONE, LOCAL, REMOTE_IN_USE }

    private final AppServer server;
    private final Executor fxThread;
    private final Executor io;
    private final ObservableValue<ModelInfo> loaded;
    private final BooleanProperty on = new SimpleBooleanProperty(false);
    private final IntegerProperty port = new SimpleIntegerProperty(AppServer.DEFAULT_PORT);
    private final ReadOnlyObjectWrapper<State> state = new ReadOnlyObjectWrapper<>(State.OFF);
    private final ReadOnlyStringWrapper url = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper("");
    private final ObjectBinding<Served> served;
    private final StringBinding modelName;
    private final StringBinding example;
    private final BooleanBinding canChangePort;
    private long switchId;   // FX thread only; a newer flip of the switch makes older callbacks stale

    /**
     * @param server serves the app's local engine; started and stopped here
     * @param loaded the model the app has loaded (a remote one too), or null
     * @param remote the remote model the app uses, or null while it uses the local engine
     * @param fxThread runs property updates
     * @param io starts and stops the server off the FX thread; runs its tasks one at a time, in order
     */
    public ServeViewModel(AppServer server, ObservableValue<ModelInfo> loaded, ObservableValue<RemoteModel> remote,
            Executor fxThread, Executor io) {
        this.server = server;
        this.loaded = loaded;
        this.fxThread = fxThread;
        this.io = io;
        served = Bindings.createObjectBinding(() -> remote.getValue() != null ? Served.REMOTE_IN_USE
                : loaded.getValue() != null ? Served.LOCAL : Served.NONE, loaded, remote);
        modelName = Bindings.createStringBinding(
                () -> served.get() == Served.LOCAL ? loaded.getValue().name() : "", served, loaded);
        example = Bindings.createStringBinding(
                () -> state.get() == State.SERVING && served.get() == Served.LOCAL
                        ? AppServer.curlExample(URI.create(url.get()), modelName.get()) : "",
                state, url, served, modelName);
        canChangePort = on.not();
        on.addListener((obs, was, now) -> switched(now));
    }

    /** The switch: whether the app serves its model. Turning it on starts the server, off stops it. */
    public BooleanProperty onProperty() {
        return on;
    }

    /** The TCP port to serve on, 1 to 65535 (0 picks a free one); changed while the switch is off. */
    public IntegerProperty portProperty() {
        return port;
    }

    public ReadOnlyObjectProperty<State> stateProperty() {
        return state.getReadOnlyProperty();
    }

    /** The API's base URL while serving ({@code http://127.0.0.1:PORT/v1}); empty otherwise. */
    public ReadOnlyStringProperty urlProperty() {
        return url.getReadOnlyProperty();
    }

    /** Why the server did not start, in words fit to show; empty when it did. */
    public ReadOnlyStringProperty problemProperty() {
        return problem.getReadOnlyProperty();
    }

    /** What the server answers with: the local model, none, or none because a remote one is in use. */
    public ObjectBinding<Served> servedProperty() {
        return served;
    }

    /** The name clients give as {@code model}: the local model's; empty when it serves none. */
    public StringBinding modelNameProperty() {
        return modelName;
    }

    /** A {@code curl} command asking the served model a question; empty unless it serves a local model. */
    public StringBinding exampleProperty() {
        return example;
    }

    public BooleanBinding canChangePortProperty() {
        return canChangePort;
    }

    private void switched(boolean now) {
        long id = ++switchId;
        problem.set("");
        if (!now) {
            state.set(State.OFF);
            url.set("");
            io.execute(server::stop);
            return;
        }
        state.set(State.STARTING);
        int requested = port.get();
        CompletableFuture.supplyAsync(() -> start(requested), io)
                .whenComplete((uri, failure) -> fxThread.execute(() -> started(id, uri, failure)));
    }

    private URI start(int requested) {
        try {
            return server.start(requested);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void started(long id, URI uri, Throwable failure) {
        if (id != switchId) {
            return;
        }
        if (failure == null) {
            url.set(uri.toString());
            state.set(State.SERVING);
            return;
        }
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof UncheckedIOException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        on.set(false);   // the switch shows that nothing is served; flipping it again tries again
        problem.set(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        state.set(cause instanceof AppServer.PortInUseException ? State.PORT_IN_USE : State.FAILED);
    }
}
