package dev.parlance.ui.models;

import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RemoteServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * Settings → "Add a server": a name, a base URL and an optional key; the server's model list is
 * asked for before anything is saved, and what failed is said. The servers added are kept by
 * {@link RemoteServers}; nothing is sent anywhere but to a server the user adds here.
 */
public final class ServersViewModel {
    /** Where adding a server stands. */
    public enum State { IDLE, CHECKING, ADDED, FAILED }

    private final RemoteServers registry;
    private final Function<RemoteServer, CompletableFuture<List<String>>> check;
    private final Executor fxThread;
    private final Executor io;
    private final Runnable changed;
    private final StringProperty name = new SimpleStringProperty("");
    private final StringProperty url = new SimpleStringProperty("");
    private final StringProperty key = new SimpleStringProperty("");
    private final ReadOnlyObjectWrapper<State> state = new ReadOnlyObjectWrapper<>(State.IDLE);
    private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper("");
    private final ReadOnlyIntegerWrapper modelsFound = new ReadOnlyIntegerWrapper();
    private final ObservableList<RemoteServer> servers = FXCollections.observableArrayList();
    private final BooleanBinding canAdd;

    /**
     * @param registry where added servers are kept
     * @param check lists a server's models (fails with a message fit to show when it cannot)
     * @param fxThread runs property updates
     * @param io reads and writes the registry, off the FX thread
     * @param changed told, on the FX thread, when the servers changed (the model picker lists them again)
     */
    public ServersViewModel(RemoteServers registry, Function<RemoteServer, CompletableFuture<List<String>>> check,
            Executor fxThread, Executor io, Runnable changed) {
        this.registry = registry;
        this.check = check;
        this.fxThread = fxThread;
        this.io = io;
        this.changed = changed;
        canAdd = state.isNotEqualTo(State.CHECKING).and(name.isNotEmpty()).and(url.isNotEmpty());
    }

    /** Where the servers are kept. */
    RemoteServers registry() {
        return registry;
    }

    /** The new server's name, as the model picker will show it. */
    public StringProperty nameProperty() {
        return name;
    }

    /** The new server's base URL ({@code http://host:port/v1}). */
    public StringProperty urlProperty() {
        return url;
    }

    /** The new server's API key; empty for none. Cleared once the server is added. */
    public StringProperty keyProperty() {
        return key;
    }

    public ReadOnlyObjectProperty<State> stateProperty() {
        return state.getReadOnlyProperty();
    }

    /** Why the last add failed, in words fit to show; empty when it did not. */
    public ReadOnlyStringProperty problemProperty() {
        return problem.getReadOnlyProperty();
    }

    /** How many models the last server added serves. */
    public ReadOnlyIntegerProperty modelsFoundProperty() {
        return modelsFound.getReadOnlyProperty();
    }

    /** The servers added, in the order they were added. */
    public ObservableList<RemoteServer> getServers() {
        return servers;
    }

    public BooleanBinding canAddProperty() {
        return canAdd;
    }

    /** Reads the servers added, off the FX thread. */
    public void refresh() {
        CompletableFuture.supplyAsync(this::read, io).whenComplete((list, failure) -> fxThread.execute(() -> {
            if (failure != null) {
                fail(failure);
            } else {
                servers.setAll(list);
            }
        }));
    }

    /** Checks the server in the form, and saves it if it answers with its models. */
    public void add() {
        if (!canAdd.get()) {
            return;
        }
        RemoteServer server;
        try {
            server = new RemoteServer(name.get(), RemoteServer.parseUrl(url.get()), key.get());
        } catch (IllegalArgumentException e) {
            problem.set(e.getMessage());
            state.set(State.FAILED);
            return;
        }
        problem.set("");
        state.set(State.CHECKING);
        check.apply(server).thenApplyAsync(models -> {
            write(() -> registry.add(server));
            return models.size();
        }, io).whenComplete((count, failure) -> fxThread.execute(() -> {
            if (failure != null) {
                fail(failure);
                return;
            }
            modelsFound.set(count);
            name.set("");
            url.set("");
            key.set("");
            state.set(State.ADDED);
            refresh();
            changed.run();
        }));
    }

    /** Forgets a server (and its key). */
    public void remove(RemoteServer server) {
        CompletableFuture.runAsync(() -> write(() -> registry.remove(server.name())), io)
                .whenComplete((ok, failure) -> fxThread.execute(() -> {
                    if (failure != null) {
                        fail(failure);
                    } else {
                        servers.remove(server);
                        changed.run();
                    }
                }));
    }

    private List<RemoteServer> read() {
        try {
            return registry.list();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Write {
        void run() throws IOException;
    }

    private static void write(Write write) {
        try {
            write.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void fail(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof UncheckedIOException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        problem.set(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        state.set(State.FAILED);
    }
}
