package dev.parlance.ui.models;

import dev.parlance.inference.WeightFormat;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.service.RemoteInferenceService;
import dev.parlance.service.remote.RemoteModel;
import dev.parlance.service.remote.RemoteServer;
import dev.parlance.service.remote.RemoteServers;
import dev.parlance.service.remote.RoutedInferenceService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The model picker: the model folders found in the models directory, the models of the servers
 * the user added (marked as remote), and loading one off the FX thread with progress and a
 * plain-words error. A model that fails to load does not cost the working one: it stays loaded, or
 * is loaded again when the engine had let it go to make room.
 */
public final class ModelsViewModel {
    /** Where the loaded model stands. */
    public enum Status { NONE, LOADING, READY, FAILED }

    /** How many models opened from elsewhere are remembered. */
    public static final int REMEMBERED = 10;

    private final InferenceService inference;
    private final Executor fxThread;
    private final Executor io;
    private final ObjectProperty<Path> modelsDirectory = new SimpleObjectProperty<>();
    private final ObservableList<Path> folders = FXCollections.observableArrayList();
    private final ObservableList<Path> opened = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<Status> status = new ReadOnlyObjectWrapper<>(Status.NONE);
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(0);
    private final ReadOnlyObjectWrapper<ModelInfo> loaded = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<Path> loading = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<Path> failed = new ReadOnlyObjectWrapper<>();
    private WeightFormat loadedFormat = WeightFormat.STORED;   // FX thread only; how the loaded model was loaded
    private final ObjectProperty<WeightFormat> weightFormat = new SimpleObjectProperty<>(WeightFormat.STORED);
    private final RoutedInferenceService routed;
    private final ObservableList<RemoteModel> remoteModels = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<RemoteModel> loadedRemote = new ReadOnlyObjectWrapper<>();
    private final ServersViewModel servers;
    private long loadId;   // FX thread only; a newer load makes older callbacks stale
    private long scanId;   // FX thread only
    private long remoteScanId;   // FX thread only
    private DirectoryWatcher watcher;   // FX thread only; null when not watching

    /**
     * A picker of local models only.
     *
     * @param inference loads models on its worker thread
     * @param fxThread runs property updates ({@code Platform::runLater} in the app)
     * @param io scans the models directory, off the FX thread
     * @param directory the models directory to start with
     */
    public ModelsViewModel(InferenceService inference, Executor fxThread, Executor io, Path directory) {
        this(inference, null, null, fxThread, io, directory);
    }

    /**
     * A picker of local models and of the models of the servers in {@code registry}.
     *
     * @param inference the local engine or a server, whichever was picked last
     * @param registry the servers the user added
     */
    public ModelsViewModel(RoutedInferenceService inference, RemoteServers registry, Executor fxThread, Executor io,
            Path directory) {
        this(inference, inference, registry, fxThread, io, directory);
    }

    private ModelsViewModel(InferenceService inference, RoutedInferenceService routed, RemoteServers registry,
            Executor fxThread, Executor io, Path directory) {
        this.inference = inference;
        this.routed = routed;
        this.fxThread = fxThread;
        this.io = io;
        this.servers = registry == null ? null : new ServersViewModel(registry, ModelsViewModel::listModels,
                fxThread, io, this::refreshRemote);
        modelsDirectory.set(directory);
        modelsDirectory.addListener((obs, was, now) -> {
            if (watcher != null) {
                watch();
            }
            refresh();
        });
        weightFormat.addListener((obs, was, now) -> {
            ModelInfo current = loaded.get();
            if (current != null && current.folder() != null && status.get() == Status.READY
                    && Files.isDirectory(current.folder())) {
                load(current.folder());
            }
        });
    }

    /** The directory whose sub-folders are offered as models; the user may change it. */
    public ObjectProperty<Path> modelsDirectoryProperty() {
        return modelsDirectory;
    }

    /**
     * The model folders and GGUF files found in the models directory, sorted by path, then those
     * opened from elsewhere that are still there.
     */
    public ObservableList<Path> getModels() {
        return folders;
    }

    /**
     * Model folders and files opened from outside the models directory, newest first, at most
     * {@link #REMEMBERED}: offered again beside the directory's (the app keeps them in its preferences).
     */
    public ObservableList<Path> getOpened() {
        return opened;
    }

    /**
     * Watches the models directory, so that a model copied or downloaded into it is offered without
     * a Refresh; follows a change of directory. Until {@link #close()}.
     */
    public void watch() {
        close();
        watcher = DirectoryWatcher.start(modelsDirectory.get(), () -> fxThread.execute(this::refresh));
    }

    /** Stops watching the models directory. */
    public void close() {
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
    }

    public ReadOnlyObjectProperty<Status> statusProperty() {
        return status.getReadOnlyProperty();
    }

    public Status getStatus() {
        return status.get();
    }

    /** Loading progress, 0..1. */
    public ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    /** The loaded model, or null. */
    public ReadOnlyObjectProperty<ModelInfo> loadedProperty() {
        return loaded.getReadOnlyProperty();
    }

    public ModelInfo getLoaded() {
        return loaded.get();
    }

    /** The folder being loaded, or null. */
    public ReadOnlyObjectProperty<Path> loadingProperty() {
        return loading.getReadOnlyProperty();
    }

    /** Why the last load failed, in words fit to show; empty when it did not or once dismissed. */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    /** The folder or file whose load failed last, or null; cleared with the error. */
    public ReadOnlyObjectProperty<Path> failedProperty() {
        return failed.getReadOnlyProperty();
    }

    /** The user has read the load error. */
    public void dismissError() {
        error.set("");
        failed.set(null);
    }

    /** Lists the model folders again, off the FX thread. */
    public void refresh() {
        long id = ++scanId;
        Path directory = modelsDirectory.get();
        List<Path> elsewhere = List.copyOf(opened);
        CompletableFuture.supplyAsync(() -> scan(directory, elsewhere), io)
                .thenAcceptAsync(found -> {
                    if (id == scanId) {
                        folders.setAll(found);
                    }
                }, fxThread);
    }

    /**
     * How a model folder's weights are held in memory; changing it reloads a loaded folder (a
     * GGUF file's weights are always used as stored).
     */
    public ObjectProperty<WeightFormat> weightFormatProperty() {
        return weightFormat;
    }

    /**
     * Loads a model folder or GGUF file. If it fails, the model loaded before stays: the engine
     * still has it, or it is loaded again (the engine lets a model go before loading the next, so
     * that two never need memory at once); the error stays shown until dismissed or the next load.
     */
    public void load(Path folder) {
        dismissError();
        start(folder, weightFormat.get(), loaded.get());
    }

    /** Settings → "Add a server", or null for a picker of local models only. */
    public ServersViewModel servers() {
        return servers;
    }

    /** The models of the servers the user added that answered, server by server. */
    public ObservableList<RemoteModel> getRemoteModels() {
        return remoteModels;
    }

    /** The remote model in use, or null while a local one is (or none). */
    public ReadOnlyObjectProperty<RemoteModel> loadedRemoteProperty() {
        return loadedRemote.getReadOnlyProperty();
    }

    /**
     * Asks each added server for its models, off the FX thread; a server that does not answer is
     * left out of the picker (Settings says why when it is added).
     */
    public void refreshRemote() {
        if (servers == null) {
            return;
        }
        long id = ++remoteScanId;
        servers.refresh();
        CompletableFuture.supplyAsync(() -> {
            List<RemoteModel> found = new ArrayList<>();
            try {
                for (RemoteServer server : servers.registry().list()) {
                    try {
                        listModels(server).join().forEach(model -> found.add(new RemoteModel(server, model)));
                    } catch (CompletionException e) {
                        // unreachable now: its models come back with the next refresh
                    }
                }
            } catch (IOException e) {
                // the registry cannot be read: Settings shows why
            }
            return found;
        }, io).thenAcceptAsync(found -> {
            if (id == remoteScanId) {
                remoteModels.setAll(found);
            }
        }, fxThread);
    }

    /** Lists a server's models with a short-lived client. */
    private static CompletableFuture<List<String>> listModels(RemoteServer server) {
        RemoteInferenceService client = new RemoteInferenceService(server, Duration.ofSeconds(15));
        return client.models().whenComplete((models, failure) -> client.close());
    }

    /**
     * Picks a model of an added server; the answers go to it until another model is loaded. If
     * it fails, the model in use before stays in use.
     */
    public void loadRemote(RemoteModel model) {
        dismissError();
        long id = ++loadId;
        status.set(Status.LOADING);
        loading.set(null);
        progress.set(-1);
        routed.loadRemote(model).whenComplete((info, failure) -> fxThread.execute(() -> {
            if (id != loadId) {
                return;
            }
            if (failure == null) {
                loadedRemote.set(model);
                loaded.set(info);
                progress.set(1);
                status.set(Status.READY);
                return;
            }
            error.set(messageOf(failure));
            ModelInfo kept = routed.loadedModel();
            loaded.set(kept);
            status.set(kept != null ? Status.READY : Status.FAILED);
        }));
    }

    /** Starts a load; {@code fallback} is the model to keep when it fails, or null. */
    private void start(Path folder, WeightFormat format, ModelInfo fallback) {
        WeightFormat fallbackFormat = loadedFormat;
        long id = ++loadId;
        status.set(Status.LOADING);
        loading.set(folder);
        progress.set(0);
        inference.load(folder, format, fraction -> fxThread.execute(() -> {
            if (id == loadId) {
                progress.set(fraction);
            }
        })).whenComplete((info, failure) -> fxThread.execute(() -> {
            if (id != loadId) {
                return;
            }
            loading.set(null);
            if (failure == null) {
                remember(folder);
                loadedRemote.set(null);
                loaded.set(info);
                loadedFormat = format;
                progress.set(1);
                status.set(Status.READY);
                return;
            }
            if (error.get().isEmpty()) {
                error.set(messageOf(failure));
                failed.set(folder);
            }
            ModelInfo kept = inference.loadedModel();
            // a server's model (no folder) stays in use when a local model fails to load
            if (fallback != null && kept != null && Objects.equals(kept.folder(), fallback.folder())) {
                loaded.set(kept);
                status.set(Status.READY);
            } else if (fallback != null && fallback.folder() != null) {
                start(fallback.folder(), fallbackFormat, null);
            } else {
                loaded.set(null);
                status.set(Status.FAILED);
            }
        }));
    }

    /** Keeps a model opened from outside the models directory, to offer it again. */
    private void remember(Path model) {
        Path directory = modelsDirectory.get();
        if (directory != null && model.toAbsolutePath().normalize().getParent()
                .equals(directory.toAbsolutePath().normalize())) {
            return;
        }
        opened.remove(model);
        opened.addFirst(model);
        if (opened.size() > REMEMBERED) {
            opened.remove(REMEMBERED, opened.size());
        }
        if (!folders.contains(model)) {
            folders.add(model);
        }
    }

    private static List<Path> scan(Path directory, List<Path> elsewhere) {
        List<Path> found = new ArrayList<>();
        if (directory != null && Files.isDirectory(directory)) {
            try (Stream<Path> children = Files.list(directory)) {
                children.filter(ModelsViewModel::isModel).sorted().forEach(found::add);
            } catch (IOException e) {
                // an unreadable directory offers nothing of its own
            }
        }
        for (Path model : elsewhere) {
            if (!found.contains(model) && isModel(model)) {
                found.add(model);
            }
        }
        return found;
    }

    /** A Hugging Face model folder (it has a config.json) or a GGUF file. */
    public static boolean isModel(Path p) {
        return Files.isRegularFile(p.resolve("config.json"))
                || Files.isRegularFile(p) && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    private static String messageOf(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
