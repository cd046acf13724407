package dev.parlance.ui.models;

import dev.parlance.models.CatalogModel;
import dev.parlance.models.FoundModel;
import dev.parlance.models.HubAccess;
import dev.parlance.models.HubClient;
import dev.parlance.models.InstalledModel;
import dev.parlance.models.MachineResources;
import dev.parlance.models.ModelDownloader;
import dev.parlance.models.Variant;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.collections.transformation.FilteredList;

/**
 * The Models page: the models in the models directory (load, delete), those other programs
 * downloaded (loaded where they are), and the catalog with filters, how each variant fits this
 * machine, and downloads. Disk reads run on {@code io}, downloads on their own threads; every
 * property changes on the FX thread.
 */
public final class ModelsPageViewModel {
    /** The catalog's size filter, by parameter count. */
    public enum SizeFilter {
        ANY(0, Long.MAX_VALUE),
        /** Under 2 billion parameters: runs on almost any computer. */
        SMALL(0, 2_000_000_000L),
        /** 2 to 9 billion: a laptop with 8 to 16 GB of memory. */
        MEDIUM(2_000_000_000L, 9_000_000_000L),
        /** 9 billion and more. */
        LARGE(9_000_000_000L, Long.MAX_VALUE);

        private final long from;
        private final long below;

        SizeFilter(long from, long below) {
            this.from = from;
            this.below = below;
        }

        public boolean accepts(long parameters) {
            return parameters >= from && parameters < below;
        }
    }

    private final ModelsViewModel models;
    private final ModelSources sources;
    private final Executor fxThread;
    private final Executor io;
    private final BooleanProperty shown = new SimpleBooleanProperty(false);
    private final BooleanProperty recommendedOnly = new SimpleBooleanProperty(false);
    private final ObservableList<InstalledModel> installed = FXCollections.observableArrayList();
    private final ObservableList<FoundModel> found = FXCollections.observableArrayList();
    private final ObservableList<CatalogRowViewModel> rows = FXCollections.observableArrayList();
    private final FilteredList<CatalogRowViewModel> visibleRows = new FilteredList<>(rows);
    private final ObjectProperty<SizeFilter> size = new SimpleObjectProperty<>(SizeFilter.ANY);
    private final StringProperty language = new SimpleStringProperty("");
    private final StringProperty task = new SimpleStringProperty("");
    private final ReadOnlyObjectWrapper<MachineResources> machine = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<CatalogRowViewModel> recommended = new ReadOnlyObjectWrapper<>();
    private final StringProperty token = new SimpleStringProperty("");
    private final ReadOnlyBooleanWrapper tokenSaved = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private boolean firstRunCheck;   // FX thread only: the next listing decides whether the page opens
    private long refreshId;          // FX thread only: only the newest listing is shown

    /**
     * @param models the loaded model, which the page's Load buttons and finished downloads load
     * @param sources the catalog, the Hub and the other programs' folders
     * @param fxThread runs property updates ({@code Platform::runLater} in the app)
     * @param io reads and deletes on disk, off the FX thread
     */
    public ModelsPageViewModel(ModelsViewModel models, ModelSources sources, Executor fxThread, Executor io) {
        this.models = models;
        this.sources = sources;
        this.fxThread = fxThread;
        this.io = io;
        sources.catalog().models().stream().sorted(Comparator.comparingLong(CatalogModel::parameters))
                .forEach(model -> rows.add(new CatalogRowViewModel(model, this, fxThread)));
        size.addListener((obs, was, now) -> filter());
        language.addListener((obs, was, now) -> filter());
        task.addListener((obs, was, now) -> filter());
        recommendedOnly.addListener((obs, was, now) -> filter());
        models.modelsDirectoryProperty().addListener((obs, was, now) -> refresh());
        // the folder is watched and can be rescanned from the model menu: the page follows while shown
        models.getModels().addListener((ListChangeListener<Path>) change -> {
            if (shown.get()) {
                refresh();
            }
        });
        shown.addListener((obs, was, now) -> {
            if (now) {
                refresh();   // a model may have been added, deleted or downloaded by the command line meanwhile
            }
        });
        filter();
    }

    /** Whether the page is on screen instead of the chat. */
    public BooleanProperty shownProperty() {
        return shown;
    }

    /** Whether the catalog shows only the recommended model (the first run's one choice). */
    public BooleanProperty recommendedOnlyProperty() {
        return recommendedOnly;
    }

    /** The models in the models directory. */
    public ObservableList<InstalledModel> getInstalled() {
        return installed;
    }

    /** The models other programs downloaded, used where they are. */
    public ObservableList<FoundModel> getFound() {
        return found;
    }

    /** The catalog rows the filters let through, smallest model first. */
    public ObservableList<CatalogRowViewModel> getCatalog() {
        return visibleRows;
    }

    public ObjectProperty<SizeFilter> sizeProperty() {
        return size;
    }

    /** An ISO 639-1 code of {@link #languages()}, or empty for any; multilingual models match every one. */
    public StringProperty languageProperty() {
        return language;
    }

    /** One of {@link #tasks()}, or empty for any. */
    public StringProperty taskProperty() {
        return task;
    }

    /** The languages the catalog's models name, sorted, without {@code multilingual}. */
    public List<String> languages() {
        return sources.catalog().models().stream().flatMap(m -> m.languages().stream())
                .filter(l -> !l.equals("multilingual")).collect(Collectors.toCollection(TreeSet::new)).stream().toList();
    }

    /** The tasks the catalog's models name, sorted. */
    public List<String> tasks() {
        return sources.catalog().models().stream().flatMap(m -> m.tasks().stream())
                .collect(Collectors.toCollection(TreeSet::new)).stream().toList();
    }

    /** This machine's free memory and disk, or null before the first listing. */
    public ReadOnlyObjectProperty<MachineResources> machineProperty() {
        return machine.getReadOnlyProperty();
    }

    /** The row of the recommended model, or null when nothing fits (or before the first listing). */
    public ReadOnlyObjectProperty<CatalogRowViewModel> recommendedProperty() {
        return recommended.getReadOnlyProperty();
    }

    /** The access token being typed; saved by {@link #saveToken()}. */
    public StringProperty tokenProperty() {
        return token;
    }

    /** Whether a token is saved (or set in {@code HF_TOKEN}) for gated models. */
    public ReadOnlyBooleanProperty tokenSavedProperty() {
        return tokenSaved.getReadOnlyProperty();
    }

    /** Whether {@code HF_TOKEN} is set, which a token saved here does not override. */
    public boolean tokenFromEnvironment() {
        return sources.tokenFromEnvironment();
    }

    /** The last failure of a page action (a delete, saving the token), in words; empty when none. */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    /** The Hub (or mirror) downloads come from, with the token as saved now. */
    public HubAccess hub() {
        return sources.hub();
    }

    /** The models directory. */
    public Path modelsDirectory() {
        return models.modelsDirectoryProperty().get();
    }

    /** Shows the page with the whole catalog, and lists everything again. */
    public void open() {
        recommendedOnly.set(false);
        shown.set(true);
    }

    /**
     * The first run: when the models directory has no model and none is loaded or loading, opens the
     * page with the recommended model as the one choice (the whole catalog if nothing fits).
     */
    public void openIfNoModel() {
        firstRunCheck = true;
        refresh();
    }

    /** Back to the chat. */
    public void close() {
        shown.set(false);
    }

    /** Shows the whole catalog after the first run's single recommendation. */
    public void showAll() {
        recommendedOnly.set(false);
    }

    /** Lists the models directory, the other programs' models and this machine's free space again, off the FX thread. */
    public void refresh() {
        long id = ++refreshId;
        Path directory = modelsDirectory();
        CompletableFuture.supplyAsync(() -> Listing.read(directory, sources), io)
                .whenComplete((listing, failure) -> fxThread.execute(() -> {
                    if (id != refreshId) {
                        return;
                    }
                    if (failure != null) {
                        error.set(messageOf(failure));   // a folder that cannot be read, in its own words
                    } else {
                        show(listing);
                    }
                }));
    }

    /** Loads an installed or found model where it is, and goes back to the chat, which shows the loading. */
    public void load(Path model) {
        models.load(model);
        shown.set(false);
    }

    /** Deletes an installed model's file or folder (the caller has asked for confirmation). */
    public void delete(InstalledModel model) {
        error.set("");
        CompletableFuture.runAsync(() -> {
            try {
                model.delete();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io).whenComplete((done, failure) -> fxThread.execute(() -> {
            if (failure != null) {
                error.set(model.path() + ": " + messageOf(failure));
            }
            refresh();
            models.refresh();
        }));
    }

    /** Saves the typed token where the command line and {@code hf auth login} keep it (blank removes it). */
    public void saveToken() {
        String typed = token.get();
        error.set("");
        CompletableFuture.supplyAsync(() -> {
            try {
                return sources.saveToken(typed);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io).whenComplete((file, failure) -> fxThread.execute(() -> {
            if (failure != null) {
                error.set(messageOf(failure));
            } else {
                token.set("");
            }
            refresh();
        }));
    }

    /** A downloader into the models directory, with the token as saved now. */
    ModelDownloader downloader() {
        return new ModelDownloader(new HubClient(sources.hub()), modelsDirectory());
    }

    /** A download finished: it is listed, and loaded unless a model is already loaded or loading. */
    void installed(Path model) {
        refresh();
        models.refresh();
        if (models.getStatus() != ModelsViewModel.Status.READY && models.getStatus() != ModelsViewModel.Status.LOADING) {
            load(model);
        }
    }

    /** Removes a stopped download's partial files, off the FX thread. */
    void discardPartial(String name) {
        Path directory = modelsDirectory();
        CompletableFuture.runAsync(() -> {
            try {
                ModelDownloader.discardPartial(directory, name);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io).whenComplete((done, failure) -> fxThread.execute(() -> {
            if (failure != null) {
                error.set(messageOf(failure));
            }
            refresh();
        }));
    }

    private void show(Listing listing) {
        installed.setAll(listing.installed());
        found.setAll(listing.found());
        machine.set(listing.machine());
        tokenSaved.set(listing.hasToken());
        Optional<MachineResources.Recommendation> best = listing.machine().recommend(sources.catalog());
        CatalogRowViewModel bestRow = null;
        Set<String> names = listing.installed().stream().map(InstalledModel::name).collect(Collectors.toSet());
        for (CatalogRowViewModel row : rows) {
            Variant variant = best.filter(r -> r.model().equals(row.model())).map(MachineResources.Recommendation::variant)
                    .orElse(null);
            if (variant != null) {
                bestRow = row;
            }
            row.update(listing.machine(), names, listing.partials(), variant);
        }
        recommended.set(bestRow);
        if (firstRunCheck) {
            firstRunCheck = false;
            if (listing.installed().isEmpty() && models.getStatus() == ModelsViewModel.Status.NONE
                    && models.loadingProperty().get() == null) {
                recommendedOnly.set(bestRow != null);
                shown.set(true);
            }
        }
        filter();
    }

    private void filter() {
        SizeFilter bySize = size.get() == null ? SizeFilter.ANY : size.get();
        String byLanguage = language.get() == null ? "" : language.get();
        String byTask = task.get() == null ? "" : task.get();
        CatalogRowViewModel only = recommendedOnly.get() ? recommended.get() : null;
        visibleRows.setPredicate(row -> only != null ? row == only
                : bySize.accepts(row.model().parameters())
                && (byLanguage.isEmpty() || row.model().languages().contains(byLanguage)
                        || row.model().languages().contains("multilingual"))
                && (byTask.isEmpty() || row.model().tasks().contains(byTask)));
    }

    private static String messageOf(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof UncheckedIOException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    /** What one look at the disk finds. */
    private record Listing(List<InstalledModel> installed, List<FoundModel> found, MachineResources machine,
            Map<String, Long> partials, boolean hasToken) {
        static Listing read(Path directory, ModelSources sources) {
            Map<String, Long> partials = new HashMap<>();
            for (ModelDownloader.Partial partial : ModelDownloader.partials(directory)) {
                partials.put(partial.name(), partial.bytes());
            }
            List<FoundModel> found = sources.discovery().find().stream()
                    .filter(f -> !f.path().toAbsolutePath().startsWith(directory.toAbsolutePath()))
                    .toList();
            return new Listing(InstalledModel.list(directory), found, MachineResources.current(directory),
                    partials, sources.hub().token().isPresent());
        }
    }
}
