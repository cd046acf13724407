package dev.parlance.ui.models;

import dev.parlance.models.CatalogModel;
import dev.parlance.models.DownloadException;
import dev.parlance.models.DownloadProgress;
import dev.parlance.models.Fit;
import dev.parlance.models.FitAssessment;
import dev.parlance.models.FoundModel;
import dev.parlance.models.InstalledModel;
import dev.parlance.models.MachineResources;
import dev.parlance.models.ModelFormat;
import dev.parlance.models.Variant;
import dev.parlance.ui.DesktopOpener;
import dev.parlance.ui.DialogService;
import dev.parlance.ui.models.CatalogRowViewModel.DownloadState;
import dev.parlance.ui.models.ModelsPageViewModel.SizeFilter;
import java.io.IOException;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ResourceBundle;
import java.util.function.Function;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.css.PseudoClass;
import javafx.fxml.FXML;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Hyperlink;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.PasswordField;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TitledPane;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.StringConverter;

/**
 * The Models page: the catalog with its filters and downloads, the models in the models directory,
 * those other programs downloaded, and the access token for gated models. Shown in place of the
 * chat while its view model's {@code shown} is true.
 */
public final class ModelsPageView {
    private static final PseudoClass FITS = PseudoClass.getPseudoClass("fits");
    private static final PseudoClass TIGHT = PseudoClass.getPseudoClass("tight");
    private static final PseudoClass TOO_BIG = PseudoClass.getPseudoClass("too-big");

    private final ModelsPageViewModel page;
    private final DialogService dialogs;
    /** Each catalog row's node, made once: a refreshed listing re-filters the rows but keeps their nodes. */
    private final Map<CatalogRowViewModel, Node> rowNodes = new IdentityHashMap<>();

    @FXML private ResourceBundle resources;
    @FXML private ScrollPane root;
    @FXML private Label machineLabel;
    @FXML private Label errorLabel;
    @FXML private Label catalogTitle;
    @FXML private Label catalogHint;
    @FXML private FlowPane filters;
    @FXML private ComboBox<SizeFilter> sizeFilter;
    @FXML private ComboBox<String> languageFilter;
    @FXML private ComboBox<String> taskFilter;
    @FXML private VBox catalogList;
    @FXML private Hyperlink showAllLink;
    @FXML private VBox installedList;
    @FXML private VBox foundSection;
    @FXML private VBox foundList;
    @FXML private TitledPane tokenPane;
    @FXML private Label tokenHelp;
    @FXML private PasswordField tokenField;
    @FXML private Label tokenStatus;

    /**
     * @param page the page's view model
     * @param dialogs asks before a delete, and says what could not be opened
     */
    public ModelsPageView(ModelsPageViewModel page, DialogService dialogs) {
        this.page = page;
        this.dialogs = dialogs;
    }

    @FXML
    private void initialize() {
        machineLabel.textProperty().bind(Bindings.createStringBinding(this::machineText, page.machineProperty()));
        errorLabel.textProperty().bind(page.errorProperty());
        errorLabel.visibleProperty().bind(page.errorProperty().isNotEmpty());
        errorLabel.managedProperty().bind(errorLabel.visibleProperty());

        catalogTitle.textProperty().bind(Bindings.when(page.recommendedOnlyProperty())
                .then(resources.getString("models.catalog.recommended")).otherwise(resources.getString("models.catalog.title")));
        catalogHint.textProperty().bind(Bindings.when(page.recommendedOnlyProperty())
                .then(resources.getString("models.catalog.firstRun")).otherwise(resources.getString("models.catalog.hint")));
        filters.visibleProperty().bind(page.recommendedOnlyProperty().not());
        filters.managedProperty().bind(filters.visibleProperty());
        showAllLink.visibleProperty().bind(page.recommendedOnlyProperty());
        showAllLink.managedProperty().bind(showAllLink.visibleProperty());

        sizeFilter.getItems().setAll(SizeFilter.values());
        sizeFilter.setConverter(converter(size -> resources.getString("models.size." + size.name().toLowerCase(Locale.ROOT))));
        sizeFilter.valueProperty().bindBidirectional(page.sizeProperty());
        languageFilter.getItems().add("");
        languageFilter.getItems().addAll(page.languages());
        languageFilter.setConverter(converter(code -> code.isEmpty() ? resources.getString("models.language.any")
                : languageName(code)));
        languageFilter.valueProperty().bindBidirectional(page.languageProperty());
        taskFilter.getItems().add("");
        taskFilter.getItems().addAll(page.tasks());
        taskFilter.setConverter(converter(this::taskName));
        taskFilter.valueProperty().bindBidirectional(page.taskProperty());

        // the rows are made when the page is first shown, so a window that opens on the chat does not build them
        page.getCatalog().addListener((ListChangeListener<CatalogRowViewModel>) change -> showCatalog());
        page.shownProperty().addListener((obs, was, shown) -> showCatalog());
        showCatalog();
        page.getInstalled().addListener((ListChangeListener<InstalledModel>) change -> showInstalled());
        showInstalled();
        page.getFound().addListener((ListChangeListener<FoundModel>) change -> showFound());
        showFound();

        tokenHelp.setText(MessageFormat.format(resources.getString(page.tokenFromEnvironment()
                ? "models.token.fromEnvironment" : "models.token.help"), page.hub().endpoint()));
        tokenField.textProperty().bindBidirectional(page.tokenProperty());
        tokenStatus.textProperty().bind(Bindings.when(page.tokenSavedProperty())
                .then(resources.getString("models.token.saved")).otherwise(resources.getString("models.token.none")));
    }

    @FXML
    private void close() {
        page.close();
    }

    @FXML
    private void showAll() {
        page.showAll();
    }

    @FXML
    private void saveToken() {
        page.saveToken();
    }

    @FXML
    private void openTokenPage() {
        browse(page.hub().tokenPage().toString());
    }

    /** Opens the token section and puts the keyboard focus in its field. */
    private void askForToken() {
        tokenPane.setExpanded(true);
        tokenField.requestFocus();
        root.layout();
        root.setVvalue(root.getVmax());   // the token section is the page's last
    }

    private void showCatalog() {
        if (!page.shownProperty().get()) {
            return;
        }
        List<Node> nodes = new ArrayList<>();
        for (CatalogRowViewModel row : page.getCatalog()) {
            nodes.add(rowNodes.computeIfAbsent(row, this::catalogRow));
        }
        if (nodes.isEmpty()) {
            nodes.add(hint(resources.getString("models.catalog.none")));
        }
        if (!catalogList.getChildren().equals(nodes)) {
            catalogList.getChildren().setAll(nodes);
        }
    }

    private void showInstalled() {
        List<Node> nodes = new ArrayList<>();
        for (InstalledModel model : page.getInstalled()) {
            var load = new Button(resources.getString("models.load"));
            load.getStyleClass().add("accent");
            load.setOnAction(e -> page.load(model.path()));
            var reveal = new Button(resources.getString("models.reveal"));
            reveal.setOnAction(e -> reveal(model.path()));
            var delete = new Button(resources.getString("models.delete"));
            delete.getStyleClass().add("danger");
            delete.setOnAction(e -> {
                if (dialogs.confirm(resources.getString("models.delete.title"),
                        MessageFormat.format(resources.getString("models.delete.confirm"), model.name(),
                                FitAssessment.humanBytes(model.bytes())))) {
                    page.delete(model);
                }
            });
            nodes.add(modelLine(model.name(), FitAssessment.humanBytes(model.bytes()) + " · "
                    + resources.getString(model.format() == ModelFormat.GGUF ? "models.format.gguf" : "models.format.folder"),
                    model.path(), load, reveal, delete));
        }
        if (nodes.isEmpty()) {
            nodes.add(hint(MessageFormat.format(resources.getString("models.installed.none"), page.modelsDirectory())));
        }
        installedList.getChildren().setAll(nodes);
    }

    private void showFound() {
        List<Node> nodes = new ArrayList<>();
        for (FoundModel model : page.getFound()) {
            var load = new Button(resources.getString("models.load"));
            load.setOnAction(e -> page.load(model.path()));
            var reveal = new Button(resources.getString("models.reveal"));
            reveal.setOnAction(e -> reveal(model.path()));
            nodes.add(modelLine(model.name(), MessageFormat.format(resources.getString("models.found.from"),
                    model.source().label(), FitAssessment.humanBytes(model.bytes())), model.path(), load, reveal));
        }
        foundSection.setVisible(!nodes.isEmpty());
        foundSection.setManaged(!nodes.isEmpty());
        foundList.getChildren().setAll(nodes);
    }

    /** A model on disk: its name and details, where it is as a tooltip, and its buttons. */
    private HBox modelLine(String name, String details, Path path, Button... buttons) {
        var title = new Label(name);
        title.getStyleClass().add("model-name");
        title.setMnemonicParsing(false);
        var about = new Label(details);
        about.getStyleClass().add("model-details");
        var text = new VBox(2, title, about);
        Tooltip.install(text, new Tooltip(path.toString()));
        var line = new HBox(8, text, grow());
        for (Button button : buttons) {
            button.setMinWidth(Region.USE_PREF_SIZE);
            line.getChildren().add(button);
        }
        line.setAlignment(Pos.CENTER_LEFT);
        line.getStyleClass().add("model-line");
        return line;
    }

    /** One catalog model: name, facts, variant, fit, Download, and the download's progress or failure. */
    private VBox catalogRow(CatalogRowViewModel row) {
        CatalogModel model = row.model();
        var name = new Label(model.name());
        name.getStyleClass().add("model-name");
        name.setMnemonicParsing(false);
        var badge = new Label(resources.getString("models.recommended"));
        badge.getStyleClass().add("recommended-badge");
        badge.visibleProperty().bind(row.recommendedProperty());
        badge.managedProperty().bind(badge.visibleProperty());
        var facts = new Label(MessageFormat.format(resources.getString("models.facts"), parameters(model.parameters()),
                model.contextLength(), model.license(), languages(model.languages()),
                String.join(", ", model.tasks().stream().map(this::taskName).toList())));
        facts.getStyleClass().add("model-details");
        facts.setWrapText(true);
        var heading = new HBox(8, name, badge);
        heading.setAlignment(Pos.CENTER_LEFT);
        var text = new VBox(2, heading, facts);
        HBox.setHgrow(text, Priority.ALWAYS);

        var variant = new ComboBox<Variant>();
        variant.getItems().setAll(row.variants());
        variant.setButtonCell(new VariantCell(row, false));
        variant.setCellFactory(list -> new VariantCell(row, true));
        variant.valueProperty().bindBidirectional(row.variantProperty());
        variant.disableProperty().bind(row.stateProperty().isEqualTo(DownloadState.RUNNING)
                .or(row.partialBytesProperty().greaterThan(0)));
        variant.setAccessibleText(MessageFormat.format(resources.getString("models.variant"), model.name()));

        var download = new Button();
        download.getStyleClass().add("accent");
        download.textProperty().bind(Bindings.createStringBinding(() -> resources.getString(switch (row.getState()) {
            case PAUSED -> "models.resume";
            case FAILED -> row.partialBytesProperty().get() > 0 ? "models.resume" : "models.retry";
            case INSTALLED -> "models.load";
            default -> "models.download";
        }), row.stateProperty(), row.partialBytesProperty()));
        download.accessibleTextProperty().bind(Bindings.concat(download.textProperty(), " ", model.name()));
        download.disableProperty().bind(row.canDownloadProperty().not()
                .and(row.stateProperty().isNotEqualTo(DownloadState.INSTALLED)));
        download.visibleProperty().bind(row.stateProperty().isNotEqualTo(DownloadState.RUNNING));
        download.managedProperty().bind(download.visibleProperty());
        download.setOnAction(e -> {
            if (row.getState() == DownloadState.INSTALLED) {
                row.load();
            } else {
                row.download();
            }
        });
        variant.setMinWidth(Region.USE_PREF_SIZE);
        download.setMinWidth(Region.USE_PREF_SIZE);
        var top = new HBox(10, text, variant, download);
        top.setAlignment(Pos.CENTER_LEFT);

        var fit = new Label();
        fit.getStyleClass().add("fit-label");
        fit.setWrapText(true);
        fit.textProperty().bind(Bindings.createStringBinding(() -> fitText(row), row.fitProperty()));
        row.fitProperty().addListener((obs, was, now) -> showFit(fit, now));
        showFit(fit, row.fitProperty().get());

        var bar = new ProgressBar(0);
        bar.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(bar, Priority.ALWAYS);
        bar.progressProperty().bind(Bindings.createDoubleBinding(() -> row.progressProperty().get() == null
                ? ProgressBar.INDETERMINATE_PROGRESS : row.progressProperty().get().fraction(), row.progressProperty()));
        var status = new Label();
        status.getStyleClass().add("download-status");
        status.textProperty().bind(Bindings.createStringBinding(() -> progressText(row),
                row.progressProperty(), row.stateProperty(), row.partialBytesProperty()));
        var pause = new Button(resources.getString("models.pause"));
        pause.setOnAction(e -> row.pause());
        pause.visibleProperty().bind(row.stateProperty().isEqualTo(DownloadState.RUNNING));
        pause.managedProperty().bind(pause.visibleProperty());
        var cancel = new Button(resources.getString("models.cancel"));
        cancel.setOnAction(e -> row.cancel());
        var progress = new HBox(8, bar, status, pause, cancel);
        progress.setAlignment(Pos.CENTER_LEFT);
        progress.visibleProperty().bind(row.stateProperty().isEqualTo(DownloadState.RUNNING)
                .or(row.partialBytesProperty().greaterThan(0).and(row.stateProperty().isNotEqualTo(DownloadState.INSTALLED))));
        progress.managedProperty().bind(progress.visibleProperty());

        var failure = new Label();
        failure.getStyleClass().add("download-error");
        failure.setWrapText(true);
        failure.textProperty().bind(Bindings.createStringBinding(() -> failureText(row), row.errorProperty(),
                row.errorReasonProperty()));
        var acceptLicence = new Hyperlink(resources.getString("models.error.openPage"));
        acceptLicence.setOnAction(e -> browse(row.modelPage().toString()));
        var pasteToken = new Hyperlink(resources.getString("models.error.pasteToken"));
        pasteToken.setOnAction(e -> askForToken());
        var actions = new HBox(8, acceptLicence, pasteToken);
        actions.visibleProperty().bind(Bindings.createBooleanBinding(() -> row.errorReasonProperty().get()
                == DownloadException.Reason.GATED || row.errorReasonProperty().get() == DownloadException.Reason.UNAUTHORIZED,
                row.errorReasonProperty()));
        actions.managedProperty().bind(actions.visibleProperty());
        var failed = new VBox(4, failure, actions);
        failed.visibleProperty().bind(row.stateProperty().isEqualTo(DownloadState.FAILED));
        failed.managedProperty().bind(failed.visibleProperty());

        var box = new VBox(6, top, fit, progress, failed);
        model.needs().ifPresent(needs -> box.getChildren().add(hint(MessageFormat.format(
                resources.getString("models.needs"), needs))));
        box.getStyleClass().add("catalog-row");
        box.pseudoClassStateChanged(PseudoClass.getPseudoClass("recommended"), row.recommendedProperty().get());
        row.recommendedProperty().addListener((obs, was, now) ->
                box.pseudoClassStateChanged(PseudoClass.getPseudoClass("recommended"), now));
        return box;
    }

    private static void showFit(Label label, FitAssessment fit) {
        Fit verdict = fit == null ? Fit.UNKNOWN : fit.fit();
        label.pseudoClassStateChanged(FITS, verdict == Fit.FITS);
        label.pseudoClassStateChanged(TIGHT, verdict == Fit.TIGHT);
        label.pseudoClassStateChanged(TOO_BIG, verdict == Fit.TOO_BIG);
    }

    private String fitText(CatalogRowViewModel row) {
        FitAssessment fit = row.fitProperty().get();
        if (fit == null) {
            return "";
        }
        return MessageFormat.format(resources.getString("models.fit." + fit.fit().name().toLowerCase(Locale.ROOT)),
                FitAssessment.humanBytes(fit.memoryNeeded()),
                fit.memoryFree() < 0 ? "?" : FitAssessment.humanBytes(fit.memoryFree()),
                FitAssessment.humanBytes(fit.diskNeeded()), FitAssessment.humanBytes(fit.diskFree()));
    }

    /** {@code Q4_K_M · 2.5 GB}, and in the open list how it fits and whether it is the recommendation. */
    private String variantText(CatalogRowViewModel row, Variant v, boolean details) {
        String text = v.name() + " · " + FitAssessment.humanBytes(v.size());
        if (!details) {
            return text;
        }
        FitAssessment fit = row.fitOf(v);
        if (fit != null) {
            text += " · " + resources.getString("models.fitShort." + fit.fit().name().toLowerCase(Locale.ROOT));
        }
        return row.isRecommended(v) ? text + " · " + resources.getString("models.recommended") : text;
    }

    private String progressText(CatalogRowViewModel row) {
        DownloadProgress p = row.progressProperty().get();
        if (row.getState() != DownloadState.RUNNING) {
            return MessageFormat.format(resources.getString("models.progress.paused"),
                    FitAssessment.humanBytes(row.partialBytesProperty().get()));
        }
        if (p == null) {
            return resources.getString("models.progress.starting");
        }
        String done = MessageFormat.format(resources.getString("models.progress.bytes"),
                FitAssessment.humanBytes(p.bytes()), FitAssessment.humanBytes(p.totalBytes()));
        if (p.bytesPerSecond() <= 0) {
            return done;
        }
        String speed = MessageFormat.format(resources.getString("models.progress.speed"),
                FitAssessment.humanBytes((long) p.bytesPerSecond()));
        return p.remaining().map(left -> done + " · " + speed + " · " + MessageFormat.format(
                resources.getString("models.progress.left"), duration(left))).orElse(done + " · " + speed);
    }

    private String failureText(CatalogRowViewModel row) {
        DownloadException.Reason reason = row.errorReasonProperty().get();
        if (reason == null) {
            return "";
        }
        return MessageFormat.format(resources.getString("models.error." + reason.name().toLowerCase(Locale.ROOT)),
                row.errorProperty().get());
    }

    private String duration(Duration d) {
        long seconds = Math.max(1, d.toSeconds());
        if (seconds < 60) {
            return MessageFormat.format(resources.getString("models.time.seconds"), seconds);
        }
        if (seconds < 3600) {
            return MessageFormat.format(resources.getString("models.time.minutes"), (seconds + 30) / 60);
        }
        return MessageFormat.format(resources.getString("models.time.hours"), seconds / 3600, seconds % 3600 / 60);
    }

    private String machineText() {
        MachineResources machine = page.machineProperty().get();
        if (machine == null) {
            return resources.getString("models.machine.reading");
        }
        return MessageFormat.format(resources.getString("models.machine"),
                machine.memoryFree() < 0 ? "?" : FitAssessment.humanBytes(machine.memoryFree()),
                FitAssessment.humanBytes(machine.diskFree()), page.modelsDirectory());
    }

    private String parameters(long count) {
        return count >= 950_000_000L ? String.format(Locale.ROOT, "%.1fB", count / 1e9)
                : String.format(Locale.ROOT, "%.0fM", count / 1e6);
    }

    /** The languages by name; a long list ends in "and 9 more". */
    private String languages(List<String> codes) {
        List<String> names = codes.stream().map(this::languageName).toList();
        if (names.size() <= 5) {
            return String.join(", ", names);
        }
        return MessageFormat.format(resources.getString("models.languages.more"), String.join(", ", names.subList(0, 4)),
                names.size() - 4);
    }

    private String languageName(String code) {
        if (code.equals("multilingual")) {
            return resources.getString("models.language.multilingual");
        }
        String name = Locale.forLanguageTag(code).getDisplayLanguage(resources.getLocale().getLanguage().isEmpty()
                ? Locale.ENGLISH : resources.getLocale());
        return name.isEmpty() ? code : name;
    }

    private String taskName(String task) {
        return task.isEmpty() ? resources.getString("models.task.any")
                : resources.containsKey("models.task." + task) ? resources.getString("models.task." + task) : task;
    }

    private void browse(String uri) {
        try {
            DesktopOpener.browse(uri);
        } catch (IOException e) {
            dialogs.inform(resources.getString("models.openFailed"), uri);
        }
    }

    private void reveal(Path path) {
        try {
            DesktopOpener.reveal(path);
        } catch (IOException e) {
            dialogs.inform(resources.getString("models.openFailed"), path.toString());
        }
    }

    private static Label hint(String text) {
        var label = new Label(text);
        label.setWrapText(true);
        label.getStyleClass().add("models-hint");
        return label;
    }

    private static Pane grow() {
        var pane = new Pane();
        HBox.setHgrow(pane, Priority.ALWAYS);
        return pane;
    }

    private static <T> StringConverter<T> converter(Function<T, String> text) {
        return new StringConverter<>() {
            @Override
            public String toString(T value) {
                return value == null ? "" : text.apply(value);
            }

            @Override
            public T fromString(String string) {
                throw new UnsupportedOperationException("the choices are not edited");
            }
        };
    }

    /** A variant in the chooser: name, size, and whether it is the recommendation. */
    private final class VariantCell extends ListCell<Variant> {
        private final CatalogRowViewModel row;
        private final boolean details;

        VariantCell(CatalogRowViewModel row, boolean details) {
            this.row = row;
            this.details = details;
            setMnemonicParsing(false);
        }

        @Override
        protected void updateItem(Variant item, boolean empty) {
            super.updateItem(item, empty);
            setText(empty || item == null ? null : variantText(row, item, details));
        }
    }
}
